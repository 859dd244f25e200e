//! Boards brought in from files: Tandem's own JSON export, Trello's board export and CSV with a
//! header row.
//!
//! A file is read and checked whole before anything is written, so one that fails anywhere
//! imports nothing and names the line or card and why. The checked [`Plan`] is then written in
//! one transaction (`Store::import`), which every window receives as one batch.

use std::collections::HashMap;
use std::path::Path;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::export::{Export, JSON_FORMAT};
use crate::export::{CSV_HEADER, JSON_VERSION};
use crate::model::{plain, Priority};
use crate::validate;

pub mod text;

pub use text::{Delimiter, Encoding};

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

/// A due date as other tools write it, as a day: `2026-12-05`; a time with its offset,
/// `2026-12-05T23:00:00+01:00`, the day it names where it was written (the 5th); a time in
/// UTC, `2026-12-05T23:30:00.000Z`, as Trello keeps its due dates, the day it falls on in `zone`
/// (the 6th in Berlin), the day Trello shows there; Jira's `05/Dec/26 12:00 AM`; a
/// spreadsheet's `5.12.2026` (day first), `2026/12/05`, and `12/5/2026` read in `slashes`'
/// order; `None` for anything else.
fn due_of(text: &str, zone: &TimeZone, slashes: Slashes) -> Option<String> {
    let text = text.trim();
    if let Some(date) = text.get(..10).filter(|d| validate::date("due", d).is_ok()) {
        let rest = &text[10..];
        if rest.ends_with(['Z', 'z']) {
            if let Ok(instant) = text.parse::<jiff::Timestamp>() {
                return Some(instant.to_zoned(zone.clone()).date().to_string());
            }
        }
        if rest.is_empty() || rest.starts_with(['T', ' ']) {
            return Some(date.to_owned());
        }
    }
    // A date, then perhaps a time: DD/Mon/YY (Jira), D.M.YYYY, YYYY/MM/DD, A/B/YYYY.
    let date = text.split(' ').next()?;
    let (separator, parts) = match (date.contains('.'), date.contains('/')) {
        (true, false) => ('.', date.split('.').collect::<Vec<_>>()),
        (false, true) => ('/', date.split('/').collect()),
        _ => return None,
    };
    let [a, b, c] = parts[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let number = |part: &str| -> Option<u32> {
        (!part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = |part: &str| match (part.len(), number(part)?) {
        (2, y) => Some(2000 + y),
        (4, y) => Some(y),
        _ => None,
    };
    let (year, month, day) =
        if let Some(month) = MONTHS.iter().position(|m| b.eq_ignore_ascii_case(m)) {
            (year(c)?, month as u32 + 1, number(a)?)
        } else if a.len() == 4 && separator == '/' {
            (year(a)?, number(b)?, number(c)?)
        } else if separator == '.' || slashes == Slashes::DayFirst {
            (year(c)?, number(b)?, number(a)?)
        } else {
            (year(c)?, number(a)?, number(b)?)
        };
    let date = format!("{year:04}-{month:02}-{day:02}");
    validate::date("due", &date).ok()
}

/// Which comes first in a date written `A/B/YYYY`: the day (most of the world) or the month
/// (the United States), as the file shows or the computer's locale says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slashes {
    DayFirst,
    MonthFirst,
}

impl Slashes {
    /// The order a locale (`LC_ALL`, `LC_TIME` or `LANG`, like `en_US.UTF-8`) writes dates in:
    /// the month first in the United States and where none is set (Excel's own default).
    pub fn of_locale(locale: Option<&str>) -> Slashes {
        let locale = locale.unwrap_or("").split(['.', '@']).next().unwrap_or("");
        match locale.split_once('_') {
            Some((_, region)) if region != "US" => Slashes::DayFirst,
            _ => Slashes::MonthFirst,
        }
    }

    /// The locale of this process, as the C library reads it.
    pub fn locale() -> Option<String> {
        ["LC_ALL", "LC_TIME", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
    }

    fn words(self) -> &'static str {
        match self {
            Slashes::DayFirst => "day/month",
            Slashes::MonthFirst => "month/day",
        }
    }
}

/// The two numbers before the year of a date written `A/B/YYYY`, if `text` is one.
fn slashed(text: &str) -> Option<(u32, u32)> {
    let date = text.trim().split(' ').next()?;
    let mut parts = date.split('/');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || a.len() > 2 || b.len() > 2 || !matches!(c.len(), 2 | 4) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// How a file's `A/B/YYYY` dates are read: as a date in it shows (a first number above 12 is
/// a day, a second above 12 is), else as `locale` writes them; with why, for the report.
fn slashes_of<'a>(dues: impl Iterator<Item = &'a str>, locale: Option<&str>) -> (Slashes, String) {
    let (mut day_first, mut month_first) = (None, None);
    for due in dues {
        match slashed(due) {
            Some((a, _)) if a > 12 => day_first = day_first.or(Some(due.trim())),
            Some((_, b)) if b > 12 => month_first = month_first.or(Some(due.trim())),
            _ => {}
        }
    }
    match (day_first, month_first) {
        (Some(seen), None) => (Slashes::DayFirst, format!("as “{seen}” in the file shows")),
        (None, Some(seen)) => (
            Slashes::MonthFirst,
            format!("as “{seen}” in the file shows"),
        ),
        _ => {
            let slashes = Slashes::of_locale(locale);
            let why = match locale {
                Some(locale) => format!("as this computer's locale, {locale}, writes dates"),
                None => "as this computer, with no locale set, takes them".to_owned(),
            };
            (slashes, why)
        }
    }
}

/// How due dates that are ISO days or times are read (Trello's): no `A/B/YYYY` among them.
const ISO_ONLY: (Slashes, String) = (Slashes::MonthFirst, String::new());

/// `given`'s day as [`due_of`] reads it, saying in `notes` what it leaves out, and which days
/// are not the one written because they fall on another in `zone`.
fn due_noted(
    given: &str,
    zone: &TimeZone,
    slashes: &(Slashes, String),
    notes: &mut Notes,
) -> Option<String> {
    let Some(day) = due_of(given, zone, slashes.0) else {
        notes.add(
            ["due date", "due dates"],
            "left out, not a date Tandem reads",
            given,
        );
        return None;
    };
    let given = given.trim();
    if slashed(given).is_some_and(|(a, b)| a <= 12 && b <= 12 && a != b) {
        let (order, why) = slashes;
        notes.add(
            ["due date", "due dates"],
            format!("read as {}, {why}", order.words()),
            format!("{given} → {day}"),
        );
    }
    if given.ends_with(['Z', 'z']) && !given.starts_with(&day) {
        let zone = match zone.iana_name() {
            Some(name) => format!("{name}, this computer's time zone"),
            None => "this computer's time zone".to_owned(),
        };
        notes.add(
            ["due date", "due dates"],
            format!(
                "given in UTC, each taken as the day it falls on in {zone}, as Trello shows it"
            ),
            format!("{given} → {day}"),
        );
    }
    Some(day)
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

/// The parts of Trello's board export (Board ▸ Print, export and share ▸ Export as JSON) that a
/// board is made of; everything else in the file is ignored.
#[derive(serde::Deserialize)]
struct TrelloBoard {
    name: String,
    lists: Vec<TrelloList>,
    cards: Vec<TrelloCard>,
    #[serde(default)]
    labels: Vec<TrelloLabel>,
    #[serde(default)]
    checklists: Vec<TrelloChecklist>,
    /// The board's people: a card names its members by their ids.
    #[serde(default)]
    members: Vec<TrelloMember>,
    /// What happened on the board, the latest first: its `commentCard` actions are the cards'
    /// conversations. Read loosely, each on its own, as actions come in many shapes.
    #[serde(default)]
    actions: Vec<serde_json::Value>,
    /// Older exports: the labels' names by colour, before labels had ids of their own.
    #[serde(default, rename = "labelNames")]
    label_names: HashMap<String, String>,
    /// The board's custom fields (a Power-Up), which Tandem has no place for.
    #[serde(default, rename = "customFields")]
    custom_fields: Vec<TrelloNamed>,
}

#[derive(serde::Deserialize)]
struct TrelloNamed {
    #[serde(default)]
    name: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloAttachment {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(serde::Deserialize)]
struct TrelloMember {
    id: String,
    username: String,
}

#[derive(serde::Deserialize)]
struct TrelloList {
    id: String,
    name: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    pos: f64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloCard {
    id: String,
    name: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    closed: bool,
    id_list: String,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    due: Option<String>,
    /// When work on it starts: Tandem has no place for it.
    #[serde(default)]
    start: Option<String>,
    /// Its due date ticked off: Tandem has no place for that either.
    #[serde(default)]
    due_complete: Option<bool>,
    #[serde(default)]
    id_labels: Vec<String>,
    /// The card's members, who become its assignees.
    #[serde(default)]
    id_members: Vec<String>,
    /// Older exports carry a card's labels whole, here only.
    #[serde(default)]
    labels: Vec<TrelloLabel>,
    /// Links and uploaded files, each with its URL.
    #[serde(default)]
    attachments: Vec<TrelloAttachment>,
}

#[derive(serde::Deserialize)]
struct TrelloLabel {
    /// Older exports give a card's labels no id.
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloChecklist {
    id_card: String,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    check_items: Vec<TrelloItem>,
}

#[derive(serde::Deserialize)]
struct TrelloItem {
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    pos: f64,
}

/// How many actions Trello's export holds at most: the latest.
const TRELLO_ACTIONS_KEPT: usize = 1_000;

/// Trello's board export, checked: open lists become columns, their cards become cards in
/// Trello's order (closed ones archived), with their descriptions, due dates, labels (colour
/// names as `#RRGGBB`, unnamed ones named after their colour) and checklists (items of several
/// checklists one after another). Cards go to `project` when given, else to a project named
/// after the board.
pub fn trello(text: &str, project: Option<&str>, here: &Here) -> Result<Plan> {
    if text.trim().is_empty() {
        return Err(refused("the file is empty"));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| refused(&format!("it is not JSON, or it is cut short ({e})")))?;
    if !(value.get("lists").is_some_and(|l| l.is_array())
        && value.get("cards").is_some_and(|c| c.is_array()))
    {
        return Err(refused(
            "it is not a Trello board export (it has no \"lists\" and \"cards\")",
        ));
    }
    let board: TrelloBoard = serde_json::from_value(value).map_err(|e| {
        refused(&format!(
            "it is not a Trello board export as Trello writes it ({e})"
        ))
    })?;

    let mut notes = Notes::default();
    let mut labels: Vec<plain::Label> = Vec::new();
    let mut label_names: HashMap<String, String> = HashMap::new();
    // A label by its id, or (older exports, which give none) by its colour and name.
    let key = |label: &TrelloLabel| {
        if label.id.is_empty() {
            format!("{}/{}", label.color.as_deref().unwrap_or(""), label.name)
        } else {
            label.id.clone()
        }
    };
    // The board's labels, and (older exports) those only its cards carry.
    let every_label = board
        .labels
        .iter()
        .chain(board.cards.iter().flat_map(|c| &c.labels));
    for label in every_label {
        if label_names.contains_key(&key(label)) {
            continue;
        }
        let base = label
            .color
            .as_deref()
            .map(|c| c.trim_end_matches("_dark").trim_end_matches("_light"));
        let color = base
            .and_then(|b| TRELLO_COLORS.iter().find(|(name, _)| *name == b))
            .map_or(LABEL_COLOR, |(_, hex)| hex);
        let named_by_colour = base
            .and_then(|b| board.label_names.get(b))
            .map(|n| n.trim())
            .filter(|n| !n.is_empty());
        let name = match (label.name.trim(), named_by_colour) {
            ("", Some(named)) => named.to_owned(),
            ("", None) => base.unwrap_or("label").to_owned(),
            (named, _) => named.to_owned(),
        };
        if !labels.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
            labels.push(plain::Label {
                name: name.clone(),
                color: color.to_owned(),
            });
        }
        label_names.insert(key(label), name);
    }

    let mut checklists: Vec<&TrelloChecklist> = board.checklists.iter().collect();
    checklists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut items_of: HashMap<&str, Vec<plain::Item>> = HashMap::new();
    for checklist in checklists {
        let mut items: Vec<&TrelloItem> = checklist.check_items.iter().collect();
        items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        items_of
            .entry(checklist.id_card.as_str())
            .or_default()
            .extend(items.into_iter().map(|item| plain::Item {
                title: item.name.clone(),
                done: item.state == "complete",
            }));
    }

    let mut comments_of = trello_comments(&board);

    let mut lists: Vec<&TrelloList> = board.lists.iter().collect();
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut cards: Vec<&TrelloCard> = board.cards.iter().collect();
    cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    // A closed list's cards come in archived, into the first open column, each saying which
    // list it was in: Tandem archives cards, not columns.
    let open: Vec<&&TrelloList> = lists.iter().filter(|l| !l.closed).collect();
    let closed_list = |id: &str| lists.iter().find(|l| l.id == id && l.closed);
    // A card whose list the export lacks (moved to another board, or a file cut short) comes
    // into the first column too, as it was, saying so.
    let unknown_list = |id: &str| !lists.iter().any(|l| l.id == id);
    let first_open = open.first().map(|l| l.id.as_str());
    let in_column = |card: &TrelloCard, list: &str| {
        card.id_list == list
            || (Some(list) == first_open
                && (closed_list(&card.id_list).is_some() || unknown_list(&card.id_list)))
    };
    let mut due_of_card: HashMap<&str, String> = HashMap::new();
    for card in &cards {
        if let Some(day) = card
            .due
            .as_deref()
            .filter(|due| !due.trim().is_empty())
            .and_then(|due| due_noted(due, &here.zone, &ISO_ONLY, &mut notes))
        {
            due_of_card.insert(card.id.as_str(), day);
        }
        if let Some(list) = closed_list(&card.id_list) {
            notes.add(
                ["card of a closed list", "cards of closed lists"],
                "brought in archived, each naming its list",
                list.name.clone(),
            );
        }
        if card.start.as_deref().is_some_and(|s| !s.trim().is_empty()) {
            notes.add(
                ["start date", "start dates"],
                "left out, Tandem having no place for them",
                card.name.clone(),
            );
        }
        if card.due_complete == Some(true) {
            notes.add(
                ["due date marked complete", "due dates marked complete"],
                "kept without the mark, Tandem having no place for it",
                card.name.clone(),
            );
        }
        if unknown_list(&card.id_list) {
            notes.add(
                [
                    "card of a list not in the file",
                    "cards of lists not in the file",
                ],
                "put in the first column",
                card.name.clone(),
            );
        }
        for attachment in &card.attachments {
            if !attachment.url.is_empty() {
                notes.add(
                    ["attachment", "attachments"],
                    "added to their cards' descriptions as links",
                    attachment.name.clone(),
                );
            }
        }
    }
    let description = |card: &TrelloCard| {
        let mut text = card.desc.clone();
        let links: Vec<String> = card
            .attachments
            .iter()
            .filter(|a| !a.url.is_empty())
            .map(|a| {
                let name = if a.name.trim().is_empty() {
                    &a.url
                } else {
                    &a.name
                };
                format!("- [{}]({})", name.replace(['[', ']'], ""), a.url)
            })
            .collect();
        if !links.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Attachments:\n");
            text.push_str(&links.join("\n"));
        }
        if let Some(list) = closed_list(&card.id_list) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!("(In Trello, in the closed list “{}”.)", list.name));
        }
        text
    };
    if first_open.is_none()
        && cards
            .iter()
            .any(|c| closed_list(&c.id_list).is_some() || unknown_list(&c.id_list))
    {
        return Err(refused(
            "every list of the board is closed: there is no column for its cards",
        ));
    }
    let columns = open
        .into_iter()
        .map(|list| plain::Column {
            name: list.name.clone(),
            wip_limit: None,
            cards: cards
                .iter()
                .filter(|c| in_column(c, &list.id))
                .map(|card| plain::Card {
                    title: card.name.clone(),
                    description: description(card),
                    priority: Priority::None,
                    due_date: due_of_card.remove(card.id.as_str()),
                    labels: card
                        .id_labels
                        .iter()
                        .cloned()
                        .chain(card.labels.iter().map(key))
                        .filter_map(|id| label_names.get(&id).cloned())
                        .collect(),
                    assignees: card
                        .id_members
                        .iter()
                        .filter_map(|id| {
                            board
                                .members
                                .iter()
                                .find(|m| &m.id == id)
                                .map(|m| m.username.clone())
                        })
                        .collect(),
                    checklist: items_of.remove(card.id.as_str()).unwrap_or_default(),
                    archived: card.closed || closed_list(&card.id_list).is_some(),
                    comments: comments_of.remove(card.id.as_str()).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let project = plain::Project {
        name: project.unwrap_or(&board.name).to_owned(),
        labels,
        columns,
    };
    for field in &board.custom_fields {
        notes.add(
            ["custom field", "custom fields"],
            "left out, Tandem having no place for them",
            field.name.clone(),
        );
    }
    let mut said = notes.sentences();
    if board.actions.len() >= TRELLO_ACTIONS_KEPT {
        said.push(format!(
            "Trello's export holds only the board's latest {TRELLO_ACTIONS_KEPT} actions: older \
             comments are not in the file"
        ));
    }
    let place = format!("board {:?}", board.name);
    Ok(Plan {
        projects: vec![checked_project(project, &place)?],
        notes: said,
        csv: None,
    })
}

/// The cards' conversations in a Trello export, by card id, oldest first: each `commentCard`
/// action with its text, its author's username and its date. A comment whose author has no
/// username Tandem can take as a login is the importer's, its text led by the author's name.
fn trello_comments(board: &TrelloBoard) -> HashMap<&str, Vec<plain::Comment>> {
    let mut comments: HashMap<&str, Vec<plain::Comment>> = HashMap::new();
    for action in &board.actions {
        if action.get("type").and_then(|t| t.as_str()) != Some("commentCard") {
            continue;
        }
        let data = action.get("data");
        let text = data.and_then(|d| d.get("text")).and_then(|t| t.as_str());
        let card = data
            .and_then(|d| d.get("card"))
            .and_then(|c| c.get("id"))
            .and_then(|i| i.as_str());
        let (Some(text), Some(card)) = (text, card) else {
            continue;
        };
        let creator = action.get("memberCreator");
        let username = creator
            .and_then(|m| m.get("username"))
            .and_then(|u| u.as_str())
            .or_else(|| {
                let id = action.get("idMemberCreator")?.as_str()?;
                let member = board.members.iter().find(|m| m.id == id)?;
                Some(member.username.as_str())
            });
        let full_name = creator
            .and_then(|m| m.get("fullName"))
            .and_then(|n| n.as_str());
        let at = action
            .get("date")
            .and_then(|d| d.as_str())
            .and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            })
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let (author, body) = match username.map(validate::login) {
            Some(Ok(login)) => (login, text.to_owned()),
            _ => {
                let name = full_name.or(username).unwrap_or("Someone on Trello");
                (String::new(), format!("**{name}:** {text}"))
            }
        };
        comments.entry(card).or_default().push(plain::Comment {
            author,
            body,
            at,
            edited: None,
        });
    }
    for thread in comments.values_mut() {
        thread.sort_by_key(|c| c.at);
    }
    comments
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

    fn utc() -> Here {
        Here {
            zone: TimeZone::UTC,
            locale: None,
        }
    }

    #[test]
    fn a_trello_card_whose_list_the_file_lacks_comes_in_and_what_has_no_place_is_said() {
        let board = r#"{"name": "B",
            "lists": [{"id": "l1", "name": "Todo", "pos": 1}, {"id": "l2", "name": "Done", "pos": 2}],
            "cards": [{"id": "c1", "name": "Kept", "idList": "l2", "pos": 1,
                       "start": "2026-12-01T09:00:00.000Z", "due": "2026-12-02T09:00:00.000Z",
                       "dueComplete": true},
                      {"id": "c3", "name": "Nulls", "idList": "l2", "pos": 3,
                       "start": null, "due": null, "dueComplete": null},
                      {"id": "c2", "name": "Orphan", "idList": "gone", "pos": 2}]}"#;
        let plan = trello(board, None, &utc()).unwrap();
        let columns: Vec<(&str, Vec<&str>)> = plan.projects[0]
            .columns
            .iter()
            .map(|c| {
                let titles = c.cards.iter().map(|k| k.title.as_str()).collect();
                (c.name.as_str(), titles)
            })
            .collect();
        assert_eq!(
            columns,
            [("Todo", vec!["Orphan"]), ("Done", vec!["Kept", "Nulls"])]
        );
        assert!(!plan.projects[0].columns[0].cards[0].archived);
        assert_eq!(
            plan.notes,
            [
                "1 start date left out, Tandem having no place for them: “Kept”",
                "1 due date marked complete kept without the mark, Tandem having no place for \
                 it: “Kept”",
                "1 card of a list not in the file put in the first column: “Orphan”"
            ]
        );
    }

    #[test]
    fn a_due_time_in_utc_is_the_day_it_falls_on_where_it_is_read() {
        let (berlin, honolulu) = (
            TimeZone::get("Europe/Berlin").unwrap(),
            TimeZone::get("Pacific/Honolulu").unwrap(),
        );
        for (given, in_berlin, in_honolulu) in [
            // Midnight of the 6th in Berlin, as Trello writes it.
            ("2026-12-05T23:00:00.000Z", "2026-12-06", "2026-12-05"),
            ("2026-12-05T09:00:00Z", "2026-12-05", "2026-12-04"),
            // In summer Berlin is two hours ahead.
            ("2026-07-31T22:30:00.000Z", "2026-08-01", "2026-07-31"),
            // A time with its own offset is the day where it was written, anywhere.
            ("2026-12-05T23:00:00+01:00", "2026-12-05", "2026-12-05"),
            ("2026-12-05 23:00", "2026-12-05", "2026-12-05"),
            ("2026-12-05", "2026-12-05", "2026-12-05"),
            ("05/Dec/26 12:00 AM", "2026-12-05", "2026-12-05"),
        ] {
            assert_eq!(
                due_of(given, &berlin, Slashes::DayFirst).as_deref(),
                Some(in_berlin),
                "{given}"
            );
            assert_eq!(
                due_of(given, &honolulu, Slashes::DayFirst).as_deref(),
                Some(in_honolulu),
                "{given}"
            );
        }
        for nonsense in ["2026-12-05Z", "2026-02-30T10:00:00Z", "soon"] {
            assert_eq!(
                due_of(nonsense, &berlin, Slashes::DayFirst),
                None,
                "{nonsense}"
            );
        }
    }

    #[test]
    fn a_spreadsheets_dates_are_read_in_the_order_the_file_or_the_locale_shows() {
        let utc = TimeZone::UTC;
        let due = |text: &str, slashes| due_of(text, &utc, slashes);
        for slashes in [Slashes::DayFirst, Slashes::MonthFirst] {
            // A dotted date is the day first wherever it is written; a year first is clear.
            assert_eq!(due("6.12.2026", slashes).as_deref(), Some("2026-12-06"));
            assert_eq!(
                due("06.12.26 00:00", slashes).as_deref(),
                Some("2026-12-06")
            );
            assert_eq!(due("2026/12/05", slashes).as_deref(), Some("2026-12-05"));
            assert_eq!(due("31.02.2026", slashes), None, "no 31 February");
            assert_eq!(due("1.2.3.2026", slashes), None);
        }
        assert_eq!(
            due("06/12/2026", Slashes::DayFirst).as_deref(),
            Some("2026-12-06")
        );
        assert_eq!(
            due("06/12/2026", Slashes::MonthFirst).as_deref(),
            Some("2026-06-12")
        );
        assert_eq!(
            due("12/24/2026 11:00 AM", Slashes::MonthFirst).as_deref(),
            Some("2026-12-24")
        );
        assert_eq!(due("12/24/2026", Slashes::DayFirst), None);

        // The file decides when a date in it can only be read one way; else the locale.
        let of = |dues: &[&str], locale| slashes_of(dues.iter().copied(), locale);
        assert_eq!(of(&["06/12/2026", "25/12/2026"], None).0, Slashes::DayFirst);
        assert_eq!(
            of(&["06/12/2026", "12/24/2026"], Some("de_DE.UTF-8")),
            (
                Slashes::MonthFirst,
                "as “12/24/2026” in the file shows".to_owned()
            )
        );
        assert_eq!(
            of(&["06/12/2026"], Some("de_DE.UTF-8")),
            (
                Slashes::DayFirst,
                "as this computer's locale, de_DE.UTF-8, writes dates".to_owned()
            )
        );
        assert_eq!(
            of(&["06/12/2026"], Some("en_US.UTF-8")).0,
            Slashes::MonthFirst
        );
        for (locale, slashes) in [
            ("en_GB.UTF-8", Slashes::DayFirst),
            ("fr_FR", Slashes::DayFirst),
            ("en_US", Slashes::MonthFirst),
            ("C.UTF-8", Slashes::MonthFirst),
            ("POSIX", Slashes::MonthFirst),
        ] {
            assert_eq!(Slashes::of_locale(Some(locale)), slashes, "{locale}");
        }

        // Only a date that could be read either way is said, with why it was read so.
        let mut notes = Notes::default();
        let slashes = of(&["06/12/2026", "25/12/2026", "05/05/2026"], None);
        for given in ["06/12/2026", "25/12/2026", "05/05/2026"] {
            due_noted(given, &utc, &slashes, &mut notes);
        }
        assert_eq!(
            notes.sentences(),
            [
                "1 due date read as day/month, as “25/12/2026” in the file shows: \
              “06/12/2026 → 2026-12-06”"
            ]
        );
    }

    #[test]
    fn only_a_day_moved_off_the_one_written_is_said_and_one_unread_is_counted() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let mut notes = Notes::default();
        for given in [
            "2026-12-05T23:00:00.000Z",
            "2026-12-05T09:00:00.000Z",
            "05/Dec/26 12:00 AM",
            "2026-12-05",
            "2026-12-05T23:30:00+01:00",
            "next sprint",
        ] {
            due_noted(given, &berlin, &ISO_ONLY, &mut notes);
        }
        assert_eq!(
            notes.sentences(),
            [
                "1 due date given in UTC, each taken as the day it falls on in Europe/Berlin, \
                 this computer's time zone, as Trello shows it: “2026-12-05T23:00:00.000Z → \
                 2026-12-06”",
                "1 due date left out, not a date Tandem reads: “next sprint”"
            ]
        );
    }

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
    fn a_trello_export_cut_at_its_action_limit_says_older_comments_are_missing() {
        let actions: Vec<String> = (0..TRELLO_ACTIONS_KEPT)
            .map(|i| format!(r#"{{"type": "updateCard", "id": "a{i}"}}"#))
            .collect();
        let board = format!(
            r#"{{"name": "B", "lists": [{{"id": "l", "name": "To Do"}}],
                "cards": [{{"id": "c", "name": "Card", "idList": "l"}}],
                "actions": [{}]}}"#,
            actions.join(",")
        );
        let plan = trello(&board, None, &utc()).unwrap();
        assert_eq!(
            plan.notes,
            [
                "Trello's export holds only the board's latest 1000 actions: older comments are \
              not in the file"
            ]
        );
        let whole = trello(
            &board.replace(r#"{"type": "updateCard", "id": "a0"},"#, ""),
            None,
            &utc(),
        );
        assert!(
            whole.unwrap().notes.is_empty(),
            "fewer than the limit: the whole history"
        );
    }

    #[test]
    fn trello_comments_keep_authors_dates_and_order_and_skip_other_actions() {
        let board = r#"{"name": "B", "lists": [{"id": "l", "name": "To Do"}],
            "cards": [{"id": "c", "name": "Card", "idList": "l"}],
            "members": [{"id": "m2", "username": "bea"}],
            "actions": [
                {"type": "commentCard", "date": "2015-03-02T10:00:00.000Z",
                 "idMemberCreator": "m2", "data": {"text": "later", "card": {"id": "c"}}},
                {"type": "updateCard", "date": "2015-03-01T10:00:00.000Z",
                 "data": {"card": {"id": "c"}}},
                {"type": "commentCard", "date": "2015-03-01T09:00:00.000Z",
                 "memberCreator": {"username": "ann", "fullName": "Ann"},
                 "data": {"text": "earlier", "card": {"id": "c"}}},
                {"type": "commentCard", "data": {"text": "no card"}},
                "not even an object"
            ]}"#;
        let plan = trello(board, None, &utc()).unwrap();
        let card = &plan.projects[0].columns[0].cards[0];
        let said: Vec<(&str, &str)> = card
            .comments
            .iter()
            .map(|c| (c.author.as_str(), c.body.as_str()))
            .collect();
        assert_eq!(said, [("ann", "earlier"), ("bea", "later")]);
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
