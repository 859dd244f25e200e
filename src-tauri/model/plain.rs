//! A board as plain data: projects by name, each with its labels and its columns of cards in
//! order, without ids, versions or positions. What an export writes and what every import
//! (Tandem's JSON, Trello's, CSV) hands the store, so the store knows no file format.

use serde::{Deserialize, Serialize};

use super::Priority;

/// A project, matched by name on import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    pub labels: Vec<Label>,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
    /// `#RRGGBB`.
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub wip_limit: Option<i64>,
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub priority: Priority,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// The names of its labels, in name order.
    pub labels: Vec<String>,
    /// The logins of the people on it, in order; left out of the file when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignees: Vec<String>,
    pub checklist: Vec<Item>,
    /// Off the board, in the project's archive; left out of the file when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// Its conversation, oldest first; left out of the file when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
}

/// A comment on a card: who wrote it, what, and when (RFC 3339 in the file, as
/// `2026-12-04T09:00:00Z`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// The author's login; empty for whoever imports it.
    pub author: String,
    /// Markdown.
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    /// When it was last edited; left out when never.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub edited: Option<time::OffsetDateTime>,
}

impl Comment {
    /// `at`, as the store keeps times: milliseconds since 1970.
    pub fn at_ms(&self) -> i64 {
        millis(self.at)
    }

    /// `edited`, in milliseconds since 1970.
    pub fn edited_ms(&self) -> Option<i64> {
        self.edited.map(millis)
    }

    /// A time the store kept (milliseconds since 1970) as a time in the file (1970 itself for
    /// one past the year 9999).
    pub fn time(ms: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }
}

fn millis(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub title: String,
    pub done: bool,
}

/// How many cards `projects` hold.
pub fn cards(projects: &[Project]) -> usize {
    projects
        .iter()
        .flat_map(|p| &p.columns)
        .map(|c| c.cards.len())
        .sum()
}
