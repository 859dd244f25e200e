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
