//! A board written out for people and other programs: JSON (complete, for `tandem import
//! tandem`), CSV (one row per card, for a spreadsheet) and Markdown (a document).
//!
//! Each project is read in one snapshot, so an export never mixes a board's states.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::{plain, Board, Priority, ProjectId, TaskId};
use crate::store::{CardTexts, Store};

/// What `tandem export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Everything, as Tandem's own JSON: `tandem import tandem` reads it back.
    Json,
    /// One row per card, with a header, for a spreadsheet.
    Csv,
    /// A heading per project and column, a list item per card, a checkbox per checklist item.
    Markdown,
}

/// Asks to write the board to a file.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ExportRequest {
    pub path: std::path::PathBuf,
    pub format: Format,
    /// One project; every project when absent.
    #[ts(optional)]
    pub project_id: Option<ProjectId>,
}

/// The name Tandem's JSON carries, so a reader knows the file for what it is.
pub const JSON_FORMAT: &str = "tandem-board";
/// The version of Tandem's JSON this writes.
/// Version 2 added archived cards (`"archived": true`), version 3 the people on a card
/// (`"assignees"`), version 4 its conversation (`"comments"`); older files read as before.
pub const JSON_VERSION: u32 = 4;

/// The columns of a CSV export, in order; an import takes them in any order and case.
pub const CSV_HEADER: [&str; 11] = [
    "project",
    "column",
    "title",
    "description",
    "priority",
    "due",
    "labels",
    "checklist",
    "archived",
    "assignees",
    "comments",
];

/// Projects as a person sees them: columns in order, each with its cards in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub version: u32,
    pub projects: Vec<plain::Project>,
}

impl Export {
    /// Reads `project`, or every project in order, each in one snapshot.
    pub async fn read(store: &Store, project: Option<&ProjectId>) -> Result<Export> {
        let ids: Vec<ProjectId> = match project {
            Some(id) => vec![id.clone()],
            None => store.projects().await?.into_iter().map(|p| p.id).collect(),
        };
        let mut projects = Vec::with_capacity(ids.len());
        for id in &ids {
            let (board, texts) = store.whole_board(id).await?;
            projects.push(plain::Project::from_board(board, texts));
        }
        Ok(Export {
            format: JSON_FORMAT.to_owned(),
            version: JSON_VERSION,
            projects,
        })
    }

    /// How many cards it holds.
    pub fn cards(&self) -> usize {
        plain::cards(&self.projects)
    }

    /// The export in `format`.
    pub fn render(&self, format: Format) -> Result<String> {
        match format {
            Format::Json => self.json(),
            Format::Csv => self.csv(),
            Format::Markdown => Ok(self.markdown()),
        }
    }

    fn json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|e| Error::Storage(sqlx::Error::Encode(Box::new(e))))
    }

    /// One row per card: `project, column, title, description, priority, due, labels,
    /// checklist, archived, assignees, comments`, labels and assignees separated by `;`,
    /// checklist items by line breaks as `[x] item`, `archived` saying `yes` for an archived
    /// card, and each comment as `login, time:` and its text, a blank line between two.
    fn csv(&self) -> Result<String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let failed = |e: csv::Error| Error::Storage(sqlx::Error::Encode(Box::new(e)));
        out.write_record(CSV_HEADER).map_err(failed)?;
        for project in &self.projects {
            for column in &project.columns {
                for card in &column.cards {
                    let checklist: Vec<String> = card
                        .checklist
                        .iter()
                        .map(|i| format!("[{}] {}", if i.done { 'x' } else { ' ' }, i.title))
                        .collect();
                    let comments: Vec<String> = card
                        .comments
                        .iter()
                        .map(|c| format!("{}, {}:\n{}", c.author, when(c.at), c.body))
                        .collect();
                    out.write_record([
                        project.name.as_str(),
                        column.name.as_str(),
                        card.title.as_str(),
                        card.description.as_str(),
                        card.priority.as_str(),
                        card.due_date.as_deref().unwrap_or(""),
                        card.labels.join(";").as_str(),
                        checklist.join("\n").as_str(),
                        if card.archived { "yes" } else { "" },
                        card.assignees.join(";").as_str(),
                        comments.join("\n\n").as_str(),
                    ])
                    .map_err(failed)?;
                }
            }
        }
        let bytes = out
            .into_inner()
            .map_err(|e| Error::Storage(sqlx::Error::Io(e.into_error())))?;
        String::from_utf8(bytes).map_err(|e| Error::Storage(sqlx::Error::Decode(Box::new(e))))
    }

    /// A document: `#` a project, `##` a column, a list item per card with what it carries, its
    /// description indented beneath, and a checkbox per checklist item.
    fn markdown(&self) -> String {
        let mut out = String::new();
        for project in &self.projects {
            let _ = writeln!(out, "# {}\n", inline(&project.name));
            for column in &project.columns {
                let limit = column
                    .wip_limit
                    .map(|l| format!(" (limit {l})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "## {}{limit}\n", inline(&column.name));
                if column.cards.is_empty() {
                    out.push_str("_No cards._\n\n");
                    continue;
                }
                for card in &column.cards {
                    let mut facts = Vec::new();
                    if card.priority != Priority::None {
                        facts.push(format!("{} priority", card.priority.as_str()));
                    }
                    if let Some(due) = &card.due_date {
                        facts.push(format!("due {due}"));
                    }
                    if card.archived {
                        facts.push("archived".to_owned());
                    }
                    facts.extend(
                        card.labels
                            .iter()
                            .map(|l| format!("`{}`", l.replace('`', "'"))),
                    );
                    if !card.assignees.is_empty() {
                        let on: Vec<String> = card
                            .assignees
                            .iter()
                            .map(|a| inline(&format!("@{a}")))
                            .collect();
                        facts.push(format!("on it: {}", on.join(", ")));
                    }
                    let facts = if facts.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", facts.join(", "))
                    };
                    let _ = writeln!(out, "- **{}**{facts}", inline(&card.title));
                    for line in card.description.lines() {
                        if line.is_empty() {
                            out.push('\n');
                        } else {
                            let _ = writeln!(out, "  {line}");
                        }
                    }
                    for item in &card.checklist {
                        let mark = if item.done { 'x' } else { ' ' };
                        let _ = writeln!(out, "  - [{mark}] {}", inline(&item.title));
                    }
                    // Each comment a quote under the card: who and when, then what they said.
                    for comment in &card.comments {
                        let edited = if comment.edited.is_some() {
                            " (edited)"
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            out,
                            "\n  > **{}**, {}{edited}:\n  >",
                            inline(&comment.author),
                            when(comment.at)
                        );
                        for line in comment.body.lines() {
                            let _ = writeln!(
                                out,
                                "  >{}{line}",
                                if line.is_empty() { "" } else { " " }
                            );
                        }
                    }
                }
                out.push('\n');
            }
        }
        out
    }
}

/// Writes `text` to the file at `path`, which is replaced only once the whole text is written:
/// a failure leaves the file as it was.
pub fn write(path: &Path, text: &str) -> Result<()> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let written =
        std::fs::write(&part, text.as_bytes()).and_then(|()| std::fs::rename(&part, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&part);
        Error::invalid("output", format!("cannot write {}: {e}", path.display()))
    })
}

/// How a comment's time is written for people (in UTC): `2026-12-04 09:00`.
pub const COMMENT_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");

/// A comment's time for people: `2026-12-04 09:00 UTC`.
fn when(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} UTC", at.format(COMMENT_TIME).unwrap_or_default())
}

/// `text` on one line of Markdown: the characters that would start emphasis, code or a link
/// escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl plain::Project {
    fn from_board(board: Board, mut texts: CardTexts) -> plain::Project {
        let label_names: HashMap<_, _> = board
            .labels
            .iter()
            .map(|l| (l.id.clone(), l.name.clone()))
            .collect();
        let mut labels_of: HashMap<TaskId, Vec<String>> = HashMap::new();
        for link in &board.task_labels {
            if let Some(name) = label_names.get(&link.label_id) {
                labels_of
                    .entry(link.task_id.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        let mut assignees_of: HashMap<TaskId, Vec<String>> = HashMap::new();
        for on in board.task_assignees {
            assignees_of.entry(on.task_id).or_default().push(on.login);
        }
        let mut checklists: HashMap<TaskId, Vec<(i64, plain::Item)>> = HashMap::new();
        for item in board.subtasks {
            let out = plain::Item {
                title: item.title,
                done: item.done,
            };
            checklists
                .entry(item.task_id)
                .or_default()
                .push((item.position, out));
        }
        let mut tasks = board.tasks;
        tasks.sort_by_key(|t| t.position);
        let columns = board
            .columns
            .into_iter()
            .map(|column| {
                let cards = tasks
                    .iter()
                    .filter(|t| t.column_id == column.id)
                    .map(|t| {
                        let mut labels = labels_of.remove(&t.id).unwrap_or_default();
                        labels.sort_by_key(|l| l.to_lowercase());
                        let mut checklist = checklists.remove(&t.id).unwrap_or_default();
                        checklist.sort_by_key(|(position, _)| *position);
                        plain::Card {
                            title: t.title.clone(),
                            description: texts.descriptions.remove(&t.id).unwrap_or_default(),
                            priority: t.priority,
                            due_date: t.due_date.clone(),
                            labels,
                            assignees: assignees_of.remove(&t.id).unwrap_or_default(),
                            checklist: checklist.into_iter().map(|(_, i)| i).collect(),
                            archived: t.archived_at.is_some(),
                            comments: texts
                                .comments
                                .remove(&t.id)
                                .unwrap_or_default()
                                .into_iter()
                                .map(|c| plain::Comment {
                                    at: plain::Comment::time(c.created_at),
                                    edited: c.edited_at.map(plain::Comment::time),
                                    author: c.author,
                                    body: c.body,
                                })
                                .collect(),
                        }
                    })
                    .collect();
                plain::Column {
                    name: column.name,
                    wip_limit: column.wip_limit,
                    cards,
                }
            })
            .collect();
        let mut labels: Vec<plain::Label> = board
            .labels
            .into_iter()
            .map(|l| plain::Label {
                name: l.name,
                color: l.color,
            })
            .collect();
        labels.sort_by_key(|l| l.name.to_lowercase());
        plain::Project {
            name: board.project.name,
            labels,
            columns,
        }
    }
}
