//! Sparse positions: where an item goes to stand at an index among its siblings.
//!
//! Every ordered list (projects, a project's columns, a column's tasks, a task's subtasks) keeps
//! a sort key per row with gaps of [`POSITION_GAP`], so putting an item between two others
//! rewrites one row. Only when a gap is used up are the siblings spread out again.

use crate::store::sql::{query, Conn};

use crate::error::Result;

/// The gap between neighbouring positions. A move lands halfway between two neighbours, so a
/// list takes sixteen moves into the same gap before it needs renumbering.
#[cfg(not(test))]
pub(in crate::store) const POSITION_GAP: i64 = 1 << 16;
/// In tests the gap is tiny, so renumbering, which a real board needs only now and then,
/// happens all the time and every test exercises it.
#[cfg(test)]
pub(in crate::store) const POSITION_GAP: i64 = 4;

/// An ordered list of rows: a table, and the column naming the parent its rows are ordered in.
#[derive(Debug, Clone, Copy)]
pub(in crate::store) enum List {
    Projects,
    Columns,
    Tasks,
    Subtasks,
}

impl List {
    pub(in crate::store) fn table(self) -> &'static str {
        match self {
            List::Projects => "projects",
            List::Columns => "columns",
            List::Tasks => "tasks",
            List::Subtasks => "subtasks",
        }
    }

    /// The condition that leaves out rows standing outside the order: archived tasks keep
    /// their column and position, but only the cards on the board count as siblings.
    fn on_board(self) -> &'static str {
        match self {
            List::Tasks => " AND archived_at IS NULL",
            _ => "",
        }
    }

    /// The column that names the list a row is in; `None` for the one list of projects.
    pub(in crate::store) fn parent(self) -> Option<&'static str> {
        match self {
            List::Projects => None,
            List::Columns => Some("project_id"),
            List::Tasks => Some("column_id"),
            List::Subtasks => Some("task_id"),
        }
    }
}

/// The position at which item `id` stands at `index` (past the end: last) in `list` under
/// `parent`, spreading the others out first if they leave no gap there. `current` is the item's
/// position when it is already in that list; then `None` means it already stands there.
pub(in crate::store) async fn slot(
    conn: &mut Conn<'_>,
    list: List,
    parent: Option<&str>,
    id: &str,
    current: Option<i64>,
    index: usize,
) -> Result<Option<i64>> {
    let table = list.table();
    if current.is_none() && index == usize::MAX {
        // A new item at the end: one gap past the last, found by the index, not by reading
        // the whole list (unless the positions ran out and the list must be spread out).
        let last: Option<i64> = match list.parent() {
            Some(column) => {
                query(format!(
                    "SELECT max(position) FROM {table} WHERE {column} = $1"
                ))
                .bind(parent)
                .scalar(&mut *conn)
                .await?
            }
            None => {
                query(format!("SELECT max(position) FROM {table}"))
                    .scalar(&mut *conn)
                    .await?
            }
        };
        match last {
            None => return Ok(Some(POSITION_GAP)),
            Some(last) => {
                if let Some(position) = last.checked_add(POSITION_GAP) {
                    return Ok(Some(position));
                }
            }
        }
    }
    let siblings: Vec<(String, i64)> = match list.parent() {
        Some(column) => {
            query(format!(
                "SELECT id, position FROM {table} WHERE {column} = $1 AND id != $2{on_board}
                 ORDER BY position, id",
                on_board = list.on_board(),
            ))
            .bind(parent)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            query(format!(
                "SELECT id, position FROM {table} WHERE id != $1 ORDER BY position, id"
            ))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let index = index.min(siblings.len());
    if let Some(position) = current {
        let after_previous = index
            .checked_sub(1)
            .is_none_or(|i| siblings[i].1 < position);
        let before_next = siblings.get(index).is_none_or(|s| position < s.1);
        if after_previous && before_next {
            return Ok(None);
        }
    }
    match between(&siblings, index) {
        Some(position) => Ok(Some(position)),
        None => {
            // Positions are an internal order, not a user's edit: versions stay as they are.
            for (i, (sibling, old)) in siblings.iter().enumerate() {
                let spot = if i < index { i } else { i + 1 };
                let position = (spot as i64 + 1) * POSITION_GAP;
                if position != *old {
                    query(format!("UPDATE {table} SET position = $2 WHERE id = $1"))
                        .bind(sibling)
                        .bind(position)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Ok(Some((index as i64 + 1) * POSITION_GAP))
        }
    }
}

/// A free position strictly between the siblings on either side of `index`; `None` when they
/// are adjacent integers and the list must be spread out first.
fn between(siblings: &[(String, i64)], index: usize) -> Option<i64> {
    let before = index.checked_sub(1).map(|i| siblings[i].1);
    let after = siblings.get(index).map(|s| s.1);
    match (before, after) {
        (None, None) => Some(POSITION_GAP),
        (Some(b), None) => b.checked_add(POSITION_GAP),
        (before, Some(a)) => {
            let b = before.unwrap_or(0);
            (a - b >= 2).then(|| b + (a - b) / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(positions: &[i64]) -> Vec<(String, i64)> {
        positions.iter().map(|&p| (format!("s{p}"), p)).collect()
    }

    #[test]
    fn an_empty_list_starts_one_gap_in() {
        assert_eq!(between(&[], 0), Some(POSITION_GAP));
    }

    #[test]
    fn the_end_is_one_gap_past_the_last() {
        assert_eq!(between(&at(&[10, 20]), 2), Some(20 + POSITION_GAP));
    }

    #[test]
    fn the_middle_is_halfway() {
        assert_eq!(between(&at(&[10, 20]), 1), Some(15));
        assert_eq!(between(&at(&[10, 20]), 0), Some(5));
    }

    #[test]
    fn adjacent_neighbours_leave_no_gap() {
        assert_eq!(between(&at(&[10, 11]), 1), None);
        assert_eq!(between(&at(&[1, 20]), 0), None);
    }

    #[test]
    fn the_end_of_a_list_at_the_top_of_the_range_needs_renumbering() {
        assert_eq!(between(&at(&[i64::MAX]), 1), None);
    }
}
