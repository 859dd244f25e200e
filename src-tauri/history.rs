//! A task's timeline, in words: what changed, who changed it (a window, another copy of
//! Tandem, the command line, another program) and when, read from the change log. The card
//! dialog and `tandem task history` show the same lines.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;
use crate::model::{Actor, Change, EntityKind, Op, TaskId};
use crate::store::Store;

/// One event in a task's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HistoryEntry {
    pub seq: i64,
    /// When it was committed, in Unix milliseconds.
    pub at: i64,
    /// Who made it, and with what: "Alice (the command line)", "Bob (board-1 of Tandem
    /// 01a2…)", "another program", …
    pub who: String,
    /// What it did: "created …", "priority "none" → "high"", "moved to "Doing"", …
    pub what: String,
}

/// Task `id`'s timeline, oldest first, with columns and labels by their current names.
pub async fn timeline(store: &Store, id: &TaskId) -> Result<Vec<HistoryEntry>> {
    let changes = store.task_history(id).await?;
    let people: HashMap<String, String> = store
        .people()
        .await?
        .into_iter()
        .map(|p| (p.login, p.name))
        .collect();
    let mut names = HashMap::new();
    if let Some(project) = changes.first().and_then(|c| c.project_id.clone()) {
        // A project deleted since has no board: its ids then go unnamed.
        if let Ok(board) = store.board(&project).await {
            names.extend(board.columns.into_iter().map(|c| (c.id.0, c.name)));
            names.extend(board.labels.into_iter().map(|l| (l.id.0, l.name)));
        }
    }
    Ok(changes.iter().map(|c| entry(c, &names, &people)).collect())
}

/// One change as a timeline entry. `names` gives the names of the columns and labels the
/// change refers to by id, `people` people's names by login.
fn entry(
    change: &Change,
    names: &HashMap<String, String>,
    people: &HashMap<String, String>,
) -> HistoryEntry {
    let with = match &change.origin {
        None => "another program".to_owned(),
        Some(o) => match (o.actor, &o.window) {
            (Actor::Gui, Some(window)) => format!("{window} of Tandem {}", short(&o.instance)),
            (Actor::Gui, None) => format!("Tandem {}", short(&o.instance)),
            (Actor::Cli, _) => "the command line".to_owned(),
            (Actor::Hub, _) => "tandem hub".to_owned(),
        },
    };
    let who = match &change.author {
        Some(login) => format!(
            "{} ({with})",
            people.get(login).map_or(login.as_str(), String::as_str)
        ),
        None => with,
    };
    HistoryEntry {
        seq: change.seq,
        at: change.at,
        who,
        what: what(change, names),
    }
}

/// The first block of an instance id: enough to tell copies apart.
fn short(instance: &str) -> &str {
    instance.split('-').next().unwrap_or(instance)
}

type Fields = serde_json::Map<String, serde_json::Value>;

/// What a change did, in words.
fn what(change: &Change, names: &HashMap<String, String>) -> String {
    let fields = |raw: &Option<Box<serde_json::value::RawValue>>| -> Fields {
        raw.as_ref()
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    };
    let data = fields(&change.data);
    let previous = fields(&change.previous);
    let text = |map: &Fields, key: &str| value(map.get(key).unwrap_or(&serde_json::Value::Null));
    let name = |map: &Fields, key: &str| {
        let id = map.get(key).and_then(|v| v.as_str()).unwrap_or("");
        names
            .get(id)
            .map_or_else(|| "one since deleted".to_owned(), |n| format!("{n:?}"))
    };
    match (change.entity, change.op) {
        (EntityKind::Task, Op::Insert) => format!("created {}", text(&data, "title")),
        (EntityKind::Task, Op::Update) => {
            let mut said = Vec::new();
            for key in previous.keys() {
                match key.as_str() {
                    "version" | "updated_at" => {}
                    "column_id" => said.push(format!("moved to {}", name(&data, "column_id"))),
                    // A card back from the archive lands at its column's bottom: no news.
                    "position"
                        if !previous.contains_key("column_id")
                            && !previous.contains_key("archived_at") =>
                    {
                        said.push("moved within its column".to_owned());
                    }
                    "position" => {}
                    "archived_at" if data.get(key).is_some_and(|v| !v.is_null()) => {
                        said.push("archived".to_owned());
                    }
                    "archived_at" => said.push("unarchived".to_owned()),
                    field => said.push(format!(
                        "{} {} → {}",
                        field.replace('_', " "),
                        text(&previous, field),
                        text(&data, field)
                    )),
                }
            }
            said.join("; ")
        }
        (EntityKind::Task, Op::Delete) => "deleted the task".to_owned(),
        (EntityKind::Subtask, Op::Insert) => format!("checklist: added {}", text(&data, "title")),
        (EntityKind::Subtask, Op::Update) => match previous.get("done") {
            Some(_) if data.get("done") == Some(&serde_json::Value::Bool(true)) => {
                format!("checklist: checked {}", text(&data, "title"))
            }
            Some(_) => format!("checklist: unchecked {}", text(&data, "title")),
            None if previous.contains_key("title") => format!(
                "checklist: renamed {} → {}",
                text(&previous, "title"),
                text(&data, "title")
            ),
            None => format!("checklist: moved {}", text(&data, "title")),
        },
        (EntityKind::Subtask, Op::Delete) => {
            format!("checklist: removed {}", text(&previous, "title"))
        }
        (EntityKind::TaskLabel, Op::Insert) => format!("labelled {}", name(&data, "label_id")),
        (EntityKind::TaskLabel, _) => format!("unlabelled {}", name(&previous, "label_id")),
        (EntityKind::TaskAssignee, Op::Insert) => format!("assigned {}", login(&data)),
        (EntityKind::TaskAssignee, _) => format!("unassigned {}", login(&previous)),
        (EntityKind::Comment, Op::Insert) => format!("commented {}", text(&data, "body")),
        (EntityKind::Comment, Op::Update) => format!(
            "edited a comment: {} → {}",
            text(&previous, "body"),
            text(&data, "body")
        ),
        (EntityKind::Comment, Op::Delete) => {
            format!("deleted a comment: {}", text(&previous, "body"))
        }
        (entity, op) => format!("{op:?} {entity}"),
    }
}

/// The person a logged assignment names.
fn login(row: &serde_json::Map<String, serde_json::Value>) -> String {
    row.get("login")
        .and_then(|l| l.as_str())
        .unwrap_or("someone")
        .to_owned()
}

/// A field's value as a person reads it: text quoted and cut short, nothing as "none".
fn value(value: &serde_json::Value) -> String {
    const LONGEST: usize = 40;
    match value {
        serde_json::Value::Null => "none".to_owned(),
        serde_json::Value::String(text) if text.chars().count() > LONGEST => {
            let cut: String = text.chars().take(LONGEST).collect();
            format!("{:?}", cut + "…")
        }
        other => other.to_string(),
    }
}
