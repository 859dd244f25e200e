//! Boards brought in from files: Tandem's own JSON export, Trello's board export and CSV with a
//! header row.
//!
//! A file is read and checked whole before anything is written, so one that fails anywhere
//! imports nothing and names the line or card and why. The checked [`Plan`] is then written in
//! one transaction (`Store::import`), which every window receives as one batch.

use std::path::Path;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::export::{Export, JSON_FORMAT};
use crate::export::{CSV_HEADER, JSON_VERSION};
use crate::model::{plain, Priority};
use crate::validate;

mod dates;
pub mod text;
mod trello;

pub use dates::Slashes;
use dates::{due_noted, slashes_of};
pub use text::{Delimiter, Encoding};
pub use trello::trello;

/// The colour of a label a file names without one.
pub const LABEL_COLOR: &str = "#6b7280";

/// The column cards go to when a file names none.
const FIRST_COLUMN: &str = "To do";

/// What to bring in: projects (matched by name with those there are), each with its labels and
/// its columns (matched by name too) of cards, in order. Every value is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub projects: Vec<plain::Project>,
    /// What the file holds that the import leaves out or reads differently, counted, as
    /// sentences: "2 columns of the file left out, …: Estimate, Team".
    pub notes: Vec<String>,
    /// For a CSV: how it was read.
    pub csv: Option<CsvReading>,
}

impl Plan {
    /// How many cards it brings.
    pub fn cards(&self) -> usize {
        plain::cards(&self.projects)
    }

    /// How many of its cards go straight to the archive.
    pub fn archived(&self) -> usize {
        self.projects
            .iter()
            .flat_map(|p| &p.columns)
            .flat_map(|c| &c.cards)
            .filter(|c| c.archived)
            .count()
    }

    /// How many comments its cards carry.
    pub fn comments(&self) -> usize {
        self.projects
            .iter()
            .flat_map(|p| &p.columns)
            .flat_map(|c| &c.cards)
            .map(|c| c.comments.len())
            .sum()
    }
}

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Tandem's own JSON export.
    Tandem,
    /// Trello's board export (JSON).
    Trello,
    /// CSV with a header row.
    Csv,
}

impl Source {
    /// What a file holds, told by its name and its first bytes: JSON that calls itself Tandem's
    /// is Tandem's, other JSON is taken for Trello's, and anything else for CSV.
    pub fn detect(bytes: &[u8]) -> Source {
        let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let head = &start[..start.len().min(4096)];
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => {
                let marked = String::from_utf8_lossy(head)
                    .replace(char::is_whitespace, "")
                    .contains(&format!("\"format\":\"{JSON_FORMAT}\""));
                if marked {
                    Source::Tandem
                } else {
                    Source::Trello
                }
            }
            _ => Source::Csv,
        }
    }
}

/// Where an import runs: this computer's time zone and locale, which decide the day a time in
/// UTC falls on and the order of a date written `A/B/YYYY`.
pub struct Here {
    pub zone: TimeZone,
    /// `LC_ALL`, `LC_TIME` or `LANG`, like `de_DE.UTF-8`.
    pub locale: Option<String>,
}

impl Here {
    pub fn system() -> Here {
        Here {
            zone: TimeZone::system(),
            locale: Slashes::locale(),
        }
    }
}

/// The file at `path`, read whole, as `source` (told from the file when `None`): a checked plan.
/// Cards go to `project` when given; a CSV's cards without a project go to `fallback`.
pub fn read(
    path: &Path,
    source: Option<Source>,
    project: Option<&str>,
    fallback: &str,
    options: &CsvOptions,
) -> Result<(Source, Plan)> {
    let bytes = read_file(path)?;
    let source = source.unwrap_or_else(|| Source::detect(&bytes));
    let text = || {
        std::str::from_utf8(&bytes)
            .map_err(|_| refused("the file is not UTF-8 text"))
            .map(|t| t.strip_prefix('\u{feff}').unwrap_or(t))
    };
    let plan = match source {
        Source::Tandem => tandem(text()?)?,
        Source::Trello => trello(text()?, project, &Here::system())?,
        Source::Csv => csv(&bytes, project, fallback, options, &Here::system())?,
    };
    Ok((source, plan))
}

/// One cell of a CSV's header and the card field it fills, `None` when the import ignores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HeaderField {
    pub name: String,
    pub field: Option<String>,
}

/// The largest file an import reads: read whole and checked before anything is written, a
/// file is held in memory (with its text beside it, once decoded).
pub const MAX_FILE: u64 = 256 * 1024 * 1024;

/// The bytes of the file at `path`, refused past [`MAX_FILE`] before any is read.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let cannot =
        |e: std::io::Error| Error::invalid("file", format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE {
        return Err(refused(&format!(
            "the file is {} MB; Tandem imports files of up to {} MB (split it, for example a \
             project at a time)",
            size / (1024 * 1024),
            MAX_FILE / (1024 * 1024)
        )));
    }
    std::fs::read(path).map_err(cannot)
}

/// Asks what a file would import, or to import it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    pub path: std::path::PathBuf,
    /// What the file is; told from the file when absent.
    #[ts(optional)]
    pub source: Option<Source>,
    /// The project every card goes to (made if need be); as the file says when absent.
    #[ts(optional)]
    pub project: Option<String>,
    /// Where a CSV's cards go that name no project: the project on show.
    #[ts(optional)]
    pub fallback: Option<String>,
    /// How to read a CSV, where the file is not to say.
    #[serde(default)]
    #[ts(optional)]
    pub csv: Option<CsvOptions>,
}

/// What importing a file would do, read and checked whole but written nowhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportPreview {
    pub source: Source,
    /// How a CSV was read: its encoding, delimiter and header, cell by cell.
    pub csv: Option<CsvReading>,
    /// What the import leaves out or reads differently, counted, as sentences.
    pub notes: Vec<String>,
    pub projects: Vec<ProjectPreview>,
    pub cards: usize,
    /// Of the cards, those that go straight to the archive.
    pub archived: usize,
    /// The comments the cards carry.
    pub comments: usize,
}

/// Where an import's cards land.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProjectPreview {
    pub name: String,
    pub cards: usize,
    /// Whether the import makes it (no project has its name yet).
    pub new: bool,
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

impl Plan {
    /// What it brings, project by project, beside the projects there are (`existing`, by name).
    pub fn preview(&self, source: Source, existing: &[&str]) -> ImportPreview {
        let projects = self
            .projects
            .iter()
            .map(|p| ProjectPreview {
                name: p.name.clone(),
                cards: p.columns.iter().map(|c| c.cards.len()).sum(),
                new: !existing.iter().any(|e| e.eq_ignore_ascii_case(&p.name)),
            })
            .collect();
        ImportPreview {
            source,
            csv: self.csv.clone(),
            notes: self.notes.clone(),
            projects,
            cards: self.cards(),
            archived: self.archived(),
            comments: self.comments(),
        }
    }
}

/// Tandem's JSON export (`tandem export json`), checked.
pub fn tandem(text: &str) -> Result<Plan> {
    if text.trim().is_empty() {
        return Err(refused("the file is empty"));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| refused(&format!("it is not JSON, or it is cut short ({e})")))?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(JSON_FORMAT) {
        return Err(refused(&format!(
            "it is not a Tandem export (a Tandem export says \"format\": \"{JSON_FORMAT}\")"
        )));
    }
    let export: Export = serde_json::from_value(value).map_err(|e| {
        refused(&format!(
            "it is not a Tandem export as this version writes it ({e})"
        ))
    })?;
    if export.version > JSON_VERSION {
        return Err(refused(&format!(
            "it was written by a newer Tandem (format version {}); update Tandem to import it",
            export.version
        )));
    }
    let mut projects = Vec::with_capacity(export.projects.len());
    for project in export.projects {
        let place = format!("project {:?}", project.name);
        projects.push(checked_project(project, &place)?);
    }
    Ok(Plan {
        projects,
        notes: Vec::new(),
        csv: None,
    })
}

/// How to read a CSV: each told from the file unless given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CsvOptions {
    #[serde(default)]
    #[ts(optional)]
    pub delimiter: Option<Delimiter>,
    #[serde(default)]
    #[ts(optional)]
    pub encoding: Option<Encoding>,
    /// Card fields read from columns the file names otherwise (`--map due=Deadline`).
    #[serde(default)]
    pub map: Vec<FieldMap>,
}

/// A card field read from the file's column `header`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldMap {
    pub field: String,
    pub header: String,
}

impl std::str::FromStr for FieldMap {
    type Err = Error;

    /// `FIELD=HEADER`, as `--map` takes it.
    fn from_str(text: &str) -> Result<FieldMap> {
        let Some((field, header)) = text.split_once('=') else {
            return Err(Error::invalid(
                "map",
                format!("{text:?} is not FIELD=HEADER (for example due=Deadline)"),
            ));
        };
        let field = field.trim().to_lowercase();
        if !CSV_HEADER.contains(&field.as_str()) {
            return Err(Error::invalid(
                "map",
                format!(
                    "{field:?} is not a card field; the fields are {}",
                    CSV_HEADER.join(", ")
                ),
            ));
        }
        Ok(FieldMap {
            field,
            header: header.trim().to_owned(),
        })
    }
}

/// The names other tools' exports give each card field (lower case), after Tandem's own:
/// Jira, Asana, GitHub Projects, Trello's CSV, what people type, and the same in German,
/// French and Spanish spreadsheets.
const HEADER_NAMES: [(&str, &[&str]); 11] = [
    (
        "title",
        &[
            "title",
            "summary",
            "name",
            "card name",
            "task name",
            "task",
            "subject",
            "titel",
            "titre",
            "título",
            "titulo",
            "aufgabe",
            "tâche",
            "tarea",
        ],
    ),
    (
        "column",
        &[
            "column",
            "status",
            "list",
            "list name",
            "section",
            "section/column",
            "stage",
            "state",
            "spalte",
            "liste",
            "colonne",
            "statut",
            "columna",
            "estado",
            "lista",
        ],
    ),
    (
        "description",
        &[
            "description",
            "notes",
            "card description",
            "body",
            "details",
            "beschreibung",
            "notizen",
            "descripción",
            "descripcion",
            "notas",
        ],
    ),
    (
        "priority",
        &["priority", "priorität", "priorite", "priorité", "prioridad"],
    ),
    (
        "due",
        &[
            "due",
            "due date",
            "due on",
            "duedate",
            "deadline",
            "fällig",
            "fälligkeit",
            "fällig am",
            "échéance",
            "echeance",
            "vencimiento",
            "fecha límite",
        ],
    ),
    (
        "labels",
        &[
            "labels",
            "label",
            "tags",
            "tag",
            "etiketten",
            "étiquettes",
            "etiquetas",
        ],
    ),
    ("checklist", &["checklist", "checkliste"]),
    (
        "archived",
        &["archived", "closed", "archiviert", "archivé", "archivado"],
    ),
    (
        "assignees",
        &[
            "assignees",
            "assignee",
            "members",
            "assigned to",
            "owner",
            "zuständig",
        ],
    ),
    (
        "comments",
        &["comments", "kommentare", "commentaires", "comentarios"],
    ),
    (
        "project",
        &[
            "project",
            "projects",
            "board",
            "board name",
            "project name",
            "projekt",
            "projet",
            "proyecto",
        ],
    ),
];

/// Fields that take every column that maps to them (Jira writes one `Labels` column a label).
const MANY: [&str; 2] = ["labels", "assignees"];

/// The card field each header cell fills, `None` for a cell left out: `--map` first, then the
/// names of [`HEADER_NAMES`] in order; a field takes one column, except [`MANY`].
fn map_header(names: &[String], map: &[FieldMap]) -> Result<Vec<HeaderField>> {
    for wanted in map {
        if !names
            .iter()
            .any(|n| n.trim().eq_ignore_ascii_case(&wanted.header))
        {
            return Err(refused(&format!(
                "--map {}={}: the file has no column {:?} (it has: {})",
                wanted.field,
                wanted.header,
                wanted.header,
                names.join(", ")
            )));
        }
    }
    let mut fields: Vec<Option<String>> = names
        .iter()
        .map(|name| {
            map.iter()
                .find(|m| m.header.eq_ignore_ascii_case(name.trim()))
                .map(|m| m.field.clone())
        })
        .collect();
    for (field, aliases) in HEADER_NAMES {
        for alias in aliases {
            for (i, name) in names.iter().enumerate() {
                let taken = fields.iter().any(|f| f.as_deref() == Some(field));
                if fields[i].is_none()
                    && name.trim().eq_ignore_ascii_case(alias)
                    && (!taken || MANY.contains(&field))
                {
                    fields[i] = Some(field.to_owned());
                }
            }
        }
    }
    Ok(names
        .iter()
        .zip(fields)
        .map(|(name, field)| HeaderField {
            name: name.clone(),
            field,
        })
        .collect())
}

/// What an import leaves out or reads differently, counted, with an example of each.
#[derive(Debug, Default)]
struct Notes {
    /// What (one, many), why, how many, and the first few examples.
    kinds: Vec<([&'static str; 2], String, usize, Vec<String>)>,
}

impl Notes {
    fn add(&mut self, what: [&'static str; 2], why: impl AsRef<str>, example: impl Into<String>) {
        let (why, example) = (why.as_ref(), example.into());
        match self
            .kinds
            .iter_mut()
            .find(|(w, y, ..)| *w == what && y == why)
        {
            Some((_, _, n, examples)) => {
                *n += 1;
                if examples.len() < 3 && !examples.contains(&example) {
                    examples.push(example);
                }
            }
            None => self.kinds.push((what, why.to_owned(), 1, vec![example])),
        }
    }

    /// Each kind as a sentence: "3 due dates left out, not a date Tandem reads: “next week”".
    fn sentences(self) -> Vec<String> {
        self.kinds
            .into_iter()
            .map(|([one, many], why, n, examples)| {
                let quoted: Vec<String> = examples.iter().map(|e| format!("“{e}”")).collect();
                let what = if n == 1 { one } else { many };
                format!("{n} {what} {why}: {}", quoted.join(", "))
            })
            .collect()
    }
}

/// Jira's and others' priority names, as Tandem's.
fn priority_of(text: &str) -> Option<Priority> {
    let text = text.trim().to_lowercase();
    let known = match text.as_str() {
        "highest" | "blocker" | "critical" | "p0" => "urgent",
        "lowest" | "trivial" | "minor" | "p3" => "low",
        "major" | "p1" => "high",
        "p2" | "normal" => "medium",
        other => other,
    };
    validate::priority("priority", known).ok()
}

/// A Trello CSV's label, `Name (color)`, without its colour.
fn label_name(label: &str) -> &str {
    match label.rsplit_once(" (") {
        Some((name, color))
            if color.strip_suffix(')').is_some_and(|c| {
                TRELLO_COLORS
                    .iter()
                    .any(|(t, _)| c == *t || c.starts_with(&format!("{t}_")))
            }) =>
        {
            name
        }
        _ => label,
    }
}

/// How a CSV was read: its encoding, its delimiter, and what each header cell fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CsvReading {
    pub encoding: Encoding,
    pub delimiter: Delimiter,
    pub header: Vec<HeaderField>,
}

/// CSV with a header row, as Tandem, spreadsheets, Jira, Asana, GitHub Projects and Trello
/// write it: a title column required (`title`, or a name another tool gives it, or `--map`);
/// column, description, priority, due, labels (separated by `;` or `,`), checklist (one item a
/// line, `[x] ` marking one done), archived (yes or no), assignees, comments (as Tandem's CSV
/// writes them: see [`csv_comments`]) and project optional, in any order and case. Its
/// encoding and delimiter are told from it unless `options` say; its quoting is held to RFC
/// 4180. Cards go to `project` when given, else to the project each row names, else to
/// `fallback`. What it leaves out, and why, is in the plan's notes.
pub fn csv(
    bytes: &[u8],
    project: Option<&str>,
    fallback: &str,
    options: &CsvOptions,
    here: &Here,
) -> Result<Plan> {
    let (text, encoding) = text::decode(bytes, options.encoding)?;
    if text.trim().is_empty() {
        return Err(refused("the file is empty"));
    }
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| text::sniff_delimiter(&text));
    text::check(&text, delimiter)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter.byte())
        .from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let header = map_header(&names, &options.map)?;
    let all = |name: &str| -> Vec<usize> {
        header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.field.as_deref() == Some(name))
            .map(|(i, _)| i)
            .collect()
    };
    let at = |name: &str| all(name).first().copied();
    let Some(title_at) = at("title") else {
        return Err(refused(&format!(
            "line 1: the header has no title column (it has: {}; read as {} separated by {}); \
             name the title's column with --map title=HEADER",
            names.join(", "),
            encoding.name(),
            delimiter.name(),
        )));
    };
    let mut notes = Notes::default();
    let left_out: Vec<&str> = header
        .iter()
        .filter(|h| h.field.is_none() && !h.name.trim().is_empty())
        .map(|h| h.name.as_str())
        .collect();
    let (column_at, description_at, priority_at) =
        (at("column"), at("description"), at("priority"));
    let (due_at, labels_at, checklist_at) = (at("due"), all("labels"), at("checklist"));
    let (archived_at, assignees_at, comments_at) =
        (at("archived"), all("assignees"), at("comments"));
    let project_at = if project.is_some() {
        None
    } else {
        at("project")
    };

    let mut projects: Vec<plain::Project> = Vec::new();
    // Each card's due date as written, by where the card is: (project, column, card).
    let mut dues: Vec<((usize, usize, usize), String)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or("").trim();
        let many = |indexes: &[usize]| -> Vec<String> {
            indexes
                .iter()
                .flat_map(|&i| record.get(i).unwrap_or("").split([';', ',']))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let place = format!("line {line}");
        let name = project
            .or_else(|| Some(field(project_at)).filter(|p| !p.is_empty()))
            .unwrap_or(fallback);
        let labels: Vec<String> = many(&labels_at)
            .iter()
            .map(|l| label_name(l).to_owned())
            .collect();
        let checklist = field(checklist_at)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|item| {
                match item
                    .strip_prefix("[x] ")
                    .or_else(|| item.strip_prefix("[X] "))
                {
                    Some(done) => plain::Item {
                        title: done.to_owned(),
                        done: true,
                    },
                    None => plain::Item {
                        title: item.strip_prefix("[ ] ").unwrap_or(item).to_owned(),
                        done: false,
                    },
                }
            })
            .collect();
        let priority = match field(priority_at) {
            "" => Priority::None,
            given => priority_of(given).unwrap_or_else(|| {
                notes.add(
                    ["priority", "priorities"],
                    "left out, not one Tandem has",
                    given,
                );
                Priority::None
            }),
        };
        // Read once every due date is seen: they tell how the file orders day and month.
        let due = field(due_at);
        let archived = match field(archived_at).to_lowercase().as_str() {
            "" | "no" | "false" | "0" => false,
            "yes" | "true" | "1" | "x" => true,
            other => {
                return Err(refused(&format!(
                    "{place}: archived: {other:?} is not yes or no"
                )))
            }
        };
        let assignees = many(&assignees_at)
            .into_iter()
            .filter(|a| {
                let login = validate::login(a).is_ok();
                if !login {
                    notes.add(
                        ["person", "people"],
                        "left off their cards, not a login",
                        a.clone(),
                    );
                }
                login
            })
            .collect();
        let card = plain::Card {
            title: record.get(title_at).unwrap_or("").to_owned(),
            description: record
                .get(description_at.unwrap_or(usize::MAX))
                .unwrap_or("")
                .to_owned(),
            priority,
            due_date: None,
            labels,
            assignees,
            checklist,
            archived,
            comments: csv_comments(field(comments_at)),
        };
        let card = checked_card(card, &place)?;
        let column = Some(field(column_at))
            .filter(|c| !c.is_empty())
            .unwrap_or(FIRST_COLUMN);
        let in_project = match projects.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                projects.push(plain::Project {
                    name: validate::name("project", name).map_err(|e| at_place(&place, e))?,
                    labels: Vec::new(),
                    columns: Vec::new(),
                });
                projects.len() - 1
            }
        };
        let target = &mut projects[in_project];
        for label in &card.labels {
            if !target
                .labels
                .iter()
                .any(|l| l.name.eq_ignore_ascii_case(label))
            {
                target.labels.push(plain::Label {
                    name: label.clone(),
                    color: LABEL_COLOR.to_owned(),
                });
            }
        }
        let column = validate::name("column", column).map_err(|e| at_place(&place, e))?;
        let in_column = match target
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&column))
        {
            Some(existing) => existing,
            None => {
                target.columns.push(plain::Column {
                    name: column,
                    wip_limit: None,
                    cards: Vec::new(),
                });
                target.columns.len() - 1
            }
        };
        let cards = &mut target.columns[in_column].cards;
        cards.push(card);
        if !due.is_empty() {
            dues.push(((in_project, in_column, cards.len() - 1), due.to_owned()));
        }
    }
    if projects.is_empty() {
        return Err(refused("the file has a header but no cards"));
    }
    let slashes = slashes_of(
        dues.iter().map(|(_, due)| due.as_str()),
        here.locale.as_deref(),
    );
    for ((p, c, k), due) in dues {
        projects[p].columns[c].cards[k].due_date =
            due_noted(&due, &here.zone, &slashes, &mut notes);
    }
    let mut said = Vec::new();
    if !left_out.is_empty() {
        said.push(format!(
            "{} column{} of the file left out, none of a card's fields: {}",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            left_out.join(", ")
        ));
    }
    said.extend(notes.sentences());
    Ok(Plan {
        projects,
        notes: said,
        csv: Some(CsvReading {
            encoding,
            delimiter,
            header,
        }),
    })
}

/// Trello's colour names, as its boards show them (a `_dark` or `_light` shade counts as its
/// colour).
const TRELLO_COLORS: [(&str, &str); 10] = [
    ("green", "#61bd4f"),
    ("yellow", "#f2d600"),
    ("orange", "#ff9f1a"),
    ("red", "#eb5a46"),
    ("purple", "#c377e0"),
    ("blue", "#0079bf"),
    ("sky", "#00c2e0"),
    ("lime", "#51e898"),
    ("pink", "#ff78cb"),
    ("black", "#344563"),
];

/// A CSV cell of comments, as Tandem's CSV export writes them: each a line `login, 2026-12-04
/// 09:00 UTC:` followed by its text, a blank line between two. Text before the first such line
/// (a cell a person wrote) is one comment by whoever imports it, written now.
pub fn csv_comments(cell: &str) -> Vec<plain::Comment> {
    let mut comments: Vec<plain::Comment> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut head: Option<(String, time::OffsetDateTime)> = None;
    let flush = |head: Option<(String, time::OffsetDateTime)>,
                 body: &mut Vec<&str>,
                 comments: &mut Vec<plain::Comment>| {
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        let text = body.join("\n");
        body.clear();
        if text.trim().is_empty() && head.is_none() {
            return;
        }
        let (author, at) = head.unwrap_or_else(|| (String::new(), time::OffsetDateTime::now_utc()));
        comments.push(plain::Comment {
            author,
            body: text,
            at,
            edited: None,
        });
    };
    let mut after_blank = true;
    for line in cell.lines() {
        match comment_head(line).filter(|_| after_blank) {
            Some(next) => {
                flush(head.take(), &mut body, &mut comments);
                head = Some(next);
            }
            None => body.push(line),
        }
        after_blank = line.trim().is_empty();
    }
    flush(head, &mut body, &mut comments);
    comments
}

/// `login, 2026-12-04 09:00 UTC:` read as who and when.
fn comment_head(line: &str) -> Option<(String, time::OffsetDateTime)> {
    let (author, at) = line.trim_end().strip_suffix(" UTC:")?.rsplit_once(", ")?;
    let at = time::PrimitiveDateTime::parse(at, crate::export::COMMENT_TIME).ok()?;
    let author = validate::login(author).ok()?;
    Some((author, at.assume_utc()))
}

/// `project`, every value checked, labels named once.
fn checked_project(project: plain::Project, place: &str) -> Result<plain::Project> {
    let name = validate::name("name", &project.name).map_err(|e| at_place(place, e))?;
    let mut labels: Vec<plain::Label> = Vec::new();
    for label in project.labels {
        let here = format!("{place}, label {:?}", label.name);
        let name = validate::name("name", &label.name).map_err(|e| at_place(&here, e))?;
        let color = validate::color("color", &label.color).map_err(|e| at_place(&here, e))?;
        if labels.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
            return Err(refused(&format!("{here}: named twice")));
        }
        labels.push(plain::Label { name, color });
    }
    let mut columns: Vec<plain::Column> = Vec::new();
    for column in project.columns {
        let here = format!("{place}, column {:?}", column.name);
        let name = validate::name("name", &column.name).map_err(|e| at_place(&here, e))?;
        let wip_limit = column
            .wip_limit
            .map(|l| validate::wip_limit("wip_limit", l))
            .transpose()
            .map_err(|e| at_place(&here, e))?;
        let mut cards = Vec::with_capacity(column.cards.len());
        for (i, card) in column.cards.into_iter().enumerate() {
            let card_place = format!("{here}, card {} ({:?})", i + 1, card.title);
            for label in &card.labels {
                if !labels.iter().any(|l| l.name.eq_ignore_ascii_case(label)) {
                    return Err(refused(&format!(
                        "{card_place}: the label {label:?} is not among the project's labels"
                    )));
                }
            }
            cards.push(checked_card(card, &card_place)?);
        }
        columns.push(plain::Column {
            name,
            wip_limit,
            cards,
        });
    }
    Ok(plain::Project {
        name,
        labels,
        columns,
    })
}

/// `card`, every value checked and normalised as the store keeps it.
fn checked_card(card: plain::Card, place: &str) -> Result<plain::Card> {
    let at = |e| at_place(place, e);
    let checklist = card
        .checklist
        .into_iter()
        .map(|item| {
            Ok(plain::Item {
                title: validate::title("checklist item", &item.title).map_err(at)?,
                done: item.done,
            })
        })
        .collect::<Result<_>>()?;
    let mut labels: Vec<String> = Vec::new();
    for label in card.labels {
        let label = validate::name("label", &label).map_err(at)?;
        if !labels.iter().any(|l| l.eq_ignore_ascii_case(&label)) {
            labels.push(label);
        }
    }
    let mut assignees: Vec<String> = Vec::new();
    for login in card.assignees {
        let login = validate::login(&login).map_err(at)?;
        if !assignees.contains(&login) {
            assignees.push(login);
        }
    }
    let comments = card
        .comments
        .into_iter()
        .map(|comment| {
            let author = match comment.author.trim() {
                "" => String::new(),
                login => validate::login(login).map_err(at)?,
            };
            Ok(plain::Comment {
                author,
                body: validate::comment(&comment.body).map_err(at)?,
                ..comment
            })
        })
        .collect::<Result<_>>()?;
    Ok(plain::Card {
        title: validate::title("title", &card.title).map_err(at)?,
        description: validate::description("description", &card.description).map_err(at)?,
        priority: card.priority,
        due_date: card
            .due_date
            .map(|d| validate::date("due", &d))
            .transpose()
            .map_err(at)?,
        labels,
        assignees,
        checklist,
        archived: card.archived,
        comments,
    })
}

/// An error of a value, told with where it is in the file.
fn at_place(place: &str, error: Error) -> Error {
    match error {
        Error::Invalid { field, reason } => refused(&format!("{place}: {field}: {reason}")),
        other => other,
    }
}

fn refused(reason: &str) -> Error {
    Error::invalid("file", format!("nothing was imported: {reason}"))
}

fn csv_error(error: &csv::Error) -> Error {
    let line = error
        .position()
        .map_or(String::new(), |p| format!("line {}: ", p.line()));
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => refused(&format!("{line}the file is not UTF-8 text")),
        _ => refused(&format!("{line}{error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_cell_of_comments_reads_back_as_tandem_wrote_it() {
        let cell = "ann, 2026-12-04 09:00 UTC:\nFirst\n\nstill first\n\nbob, 2026-12-04 10:30 UTC:\nSecond";
        let comments = csv_comments(cell);
        let said: Vec<(&str, &str, String)> = comments
            .iter()
            .map(|c| (c.author.as_str(), c.body.as_str(), c.at.to_string()))
            .collect();
        assert_eq!(
            said,
            [
                (
                    "ann",
                    "First\n\nstill first",
                    "2026-12-04 9:00:00.0 +00:00:00".into()
                ),
                ("bob", "Second", "2026-12-04 10:30:00.0 +00:00:00".into()),
            ]
        );
    }

    #[test]
    fn a_cell_a_person_wrote_is_one_comment_by_whoever_imports_it() {
        let comments = csv_comments("Call the venue\nann, 2026-12-04 09:00 UTC:\nnot a head");
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].author, "");
        assert_eq!(
            comments[0].body,
            "Call the venue\nann, 2026-12-04 09:00 UTC:\nnot a head"
        );
        assert!(csv_comments("").is_empty());
        assert!(csv_comments(" \n ").is_empty());
    }

    #[test]
    fn a_blank_or_oversized_imported_comment_is_refused_with_its_place() {
        let file = |body: &str| {
            serde_json::json!({"format": "tandem-board", "version": 4, "projects": [{
                "name": "P", "labels": [], "columns": [{"name": "C", "wip_limit": null,
                "cards": [{"title": "T", "description": "", "priority": "none",
                    "due_date": null, "labels": [], "checklist": [],
                    "comments": [{"author": "ann", "body": body,
                        "at": "2026-12-04T09:00:00Z"}]}]}]}]})
            .to_string()
        };
        assert!(tandem(&file("fine")).is_ok());
        for body in ["  ".to_owned(), "x".repeat(validate::MAX_COMMENT_CHARS + 1)] {
            let error = tandem(&file(&body)).unwrap_err().to_string();
            assert!(
                error.contains("project \"P\"") && error.contains("body"),
                "{error}"
            );
        }
    }
}
