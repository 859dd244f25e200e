//! Tasks: create, rename, move, delete.

use sqlx::SqliteConnection;

use super::board::{column, POSITION_GAP};
use super::{now_ms, Store};
use crate::error::{Error, Result};
use crate::model::{ColumnId, Entity, EntityKind, Origin, ProjectId, Task, TaskId};
use crate::validate;

/// What a caller gives to create a task.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub project_id: ProjectId,
    /// The column to add it to; the project's first column when not given.
    pub column_id: Option<ColumnId>,
    pub title: String,
}

impl Store {
    pub async fn task(&self, id: &TaskId) -> Result<Task> {
        sqlx::query_as("SELECT * FROM tasks WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.readers)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Task, id))
    }

    /// The tasks of `project`, column by column in board order.
    pub async fn tasks(&self, project: &ProjectId) -> Result<Vec<Task>> {
        Ok(sqlx::query_as(
            "SELECT t.* FROM tasks t JOIN columns c ON c.id = t.column_id
             WHERE t.project_id = ?1 ORDER BY c.position, t.position",
        )
        .bind(project)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Adds a task at the bottom of its column.
    pub async fn create_task(&self, origin: &Origin, new: NewTask) -> Result<Task> {
        let title = validate::title("title", &new.title)?;
        let (task, _) = self
            .write(origin, async |conn: &mut SqliteConnection| {
                let column = match &new.column_id {
                    Some(id) => column(conn, id).await?,
                    None => first_column(conn, &new.project_id).await?,
                };
                if column.project_id != new.project_id {
                    return Err(Error::invalid(
                        "column_id",
                        "the column belongs to another project",
                    ));
                }
                let last: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(position) FROM tasks WHERE column_id = ?1")
                        .bind(&column.id)
                        .fetch_one(&mut *conn)
                        .await?;
                let now = now_ms();
                let task: Task = sqlx::query_as(
                    "INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                     RETURNING *",
                )
                .bind(TaskId::new())
                .bind(&column.project_id)
                .bind(&column.id)
                .bind(&title)
                .bind(last.unwrap_or(0) + POSITION_GAP)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
                Ok(task)
            })
            .await?;
        Ok(task)
    }

    /// Gives a task a new title. A title equal to the current one changes nothing.
    pub async fn rename_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
        title: &str,
    ) -> Result<Task> {
        let title = validate::title("title", title)?;
        let (task, _) = self
            .write(origin, async |conn: &mut SqliteConnection| {
                let task = task_at_version(conn, id, expected_version).await?;
                if task.title == title {
                    return Ok(task);
                }
                Ok(sqlx::query_as(
                    "UPDATE tasks SET title = ?2, version = version + 1, updated_at = ?3
                     WHERE id = ?1 RETURNING *",
                )
                .bind(id)
                .bind(&title)
                .bind(now_ms())
                .fetch_one(&mut *conn)
                .await?)
            })
            .await?;
        Ok(task)
    }

    /// Moves a task to `to_index` among the other tasks of `to_column` (an index past the end
    /// means the bottom). The column must be in the task's project.
    pub async fn move_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
        to_column: &ColumnId,
        to_index: i64,
    ) -> Result<Task> {
        let to_index = validate::index("index", to_index)?;
        let (task, _) = self
            .write(origin, async |conn: &mut SqliteConnection| {
                let task = task_at_version(conn, id, expected_version).await?;
                let column = column(conn, to_column).await?;
                if column.project_id != task.project_id {
                    return Err(Error::invalid(
                        "column_id",
                        "a task can only move to a column of its own project",
                    ));
                }
                let siblings: Vec<(TaskId, i64)> = sqlx::query_as(
                    "SELECT id, position FROM tasks WHERE column_id = ?1 AND id != ?2
                     ORDER BY position",
                )
                .bind(&column.id)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
                let index = to_index.min(siblings.len());
                let already_there = task.column_id == column.id
                    && index
                        .checked_sub(1)
                        .is_none_or(|i| siblings[i].1 < task.position)
                    && siblings.get(index).is_none_or(|s| task.position < s.1);
                if already_there {
                    return Ok(task);
                }
                let position = match place(&siblings, index) {
                    Place::Between(position) => position,
                    Place::Renumber => {
                        renumber(conn, &siblings, index).await?;
                        (index as i64 + 1) * POSITION_GAP
                    }
                };
                Ok(sqlx::query_as(
                    "UPDATE tasks SET column_id = ?2, position = ?3, version = version + 1,
                        updated_at = ?4
                     WHERE id = ?1 RETURNING *",
                )
                .bind(id)
                .bind(&column.id)
                .bind(position)
                .bind(now_ms())
                .fetch_one(&mut *conn)
                .await?)
            })
            .await?;
        Ok(task)
    }

    /// Deletes a task with its subtasks and labels.
    pub async fn delete_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut SqliteConnection| {
            task_at_version(conn, id, expected_version).await?;
            // Children first and explicitly, so each of their log rows still finds its project.
            for sql in [
                "DELETE FROM task_labels WHERE task_id = ?1",
                "DELETE FROM subtasks WHERE task_id = ?1",
                "DELETE FROM tasks WHERE id = ?1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *conn).await?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// The task, if the caller saw its current version; else `NotFound` or `Conflict`.
async fn task_at_version(
    conn: &mut SqliteConnection,
    id: &TaskId,
    expected_version: i64,
) -> Result<Task> {
    let task: Task = sqlx::query_as("SELECT * FROM tasks WHERE id = ?1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Task, id))?;
    if task.version != expected_version {
        return Err(Error::Conflict {
            current: Box::new(Entity::Task(task)),
        });
    }
    Ok(task)
}

async fn first_column(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<crate::model::Column> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1)")
        .bind(project)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Err(Error::not_found(EntityKind::Project, project));
    }
    sqlx::query_as("SELECT * FROM columns WHERE project_id = ?1 ORDER BY position LIMIT 1")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::invalid("column_id", "the project has no columns"))
}

#[derive(Debug, PartialEq)]
enum Place {
    /// A free position strictly between the neighbours.
    Between(i64),
    /// The neighbours are adjacent integers: the column must be renumbered first.
    Renumber,
}

/// Where a task goes to stand at `index` among `siblings` (sorted by position).
fn place(siblings: &[(TaskId, i64)], index: usize) -> Place {
    let before = index.checked_sub(1).map(|i| siblings[i].1);
    let after = siblings.get(index).map(|s| s.1);
    match (before, after) {
        (None, None) => Place::Between(POSITION_GAP),
        (Some(b), None) => Place::Between(b.saturating_add(POSITION_GAP)),
        (before, Some(a)) => {
            let b = before.unwrap_or(0);
            if a - b >= 2 {
                Place::Between(b + (a - b) / 2)
            } else {
                Place::Renumber
            }
        }
    }
}

/// Spreads `siblings` out again, leaving the slot at `index` free. Positions are an internal
/// order, not a user's edit, so versions stay as they are.
async fn renumber(
    conn: &mut SqliteConnection,
    siblings: &[(TaskId, i64)],
    index: usize,
) -> Result<()> {
    for (i, (id, old)) in siblings.iter().enumerate() {
        let slot = if i < index { i } else { i + 1 };
        let position = (slot as i64 + 1) * POSITION_GAP;
        if position != *old {
            sqlx::query("UPDATE tasks SET position = ?2 WHERE id = ?1")
                .bind(id)
                .bind(position)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, TestStore};
    use super::*;
    use crate::model::{Board, Change, Op};
    use crate::validate::MAX_TITLE_CHARS;

    async fn inbox(t: &TestStore) -> Board {
        let id = t.store.first_project().await.unwrap().id;
        t.store.board(&id).await.unwrap()
    }

    async fn add(t: &TestStore, column: usize, title: &str) -> Task {
        let board = inbox(t).await;
        t.store
            .create_task(
                &t.origin,
                NewTask {
                    project_id: board.project.id.clone(),
                    column_id: Some(board.columns[column].id.clone()),
                    title: title.into(),
                },
            )
            .await
            .unwrap()
    }

    /// Titles of the tasks in `column`, top to bottom.
    async fn column_titles(t: &TestStore, column: usize) -> Vec<String> {
        let board = inbox(t).await;
        let mut tasks: Vec<_> = board
            .tasks
            .iter()
            .filter(|task| task.column_id == board.columns[column].id)
            .collect();
        tasks.sort_by_key(|task| task.position);
        tasks.iter().map(|task| task.title.clone()).collect()
    }

    async fn log(t: &TestStore) -> Vec<Change> {
        t.store.changes_since(0, None).await.unwrap().changes
    }

    /// Runs a write that must fail, and checks that it left the log (and so the tables) alone.
    async fn refused<T: std::fmt::Debug>(
        t: &TestStore,
        write: impl std::future::Future<Output = Result<T>>,
    ) -> Error {
        let before = log(t).await.len();
        let err = write.await.expect_err("the write is refused");
        assert_eq!(log(t).await.len(), before, "a refused write logs nothing");
        err
    }

    #[tokio::test]
    async fn create_adds_the_task_at_the_bottom_and_logs_it_with_its_origin() {
        let t = testing::store().await;
        add(&t, 0, "First").await;
        let task = add(&t, 0, "  Second  ").await;
        assert_eq!(task.title, "Second");
        assert_eq!(task.version, 1);
        assert_eq!(column_titles(&t, 0).await, ["First", "Second"]);

        let last = log(&t).await.pop().unwrap();
        assert_eq!((last.op, last.entity), (Op::Insert, EntityKind::Task));
        assert_eq!(last.entity_id, task.id.0);
        assert_eq!(last.origin.as_ref(), Some(&t.origin));
        let data: Task = serde_json::from_str(last.data.unwrap().get()).unwrap();
        assert_eq!(data, task, "the log holds the row as written");
    }

    #[tokio::test]
    async fn create_without_a_column_uses_the_first_one() {
        let t = testing::store().await;
        let board = inbox(&t).await;
        let task = t
            .store
            .create_task(
                &t.origin,
                NewTask {
                    project_id: board.project.id.clone(),
                    column_id: None,
                    title: "Somewhere".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(task.column_id, board.columns[0].id);
    }

    #[tokio::test]
    async fn create_refuses_bad_titles_and_unknown_places() {
        let t = testing::store().await;
        let board = inbox(&t).await;
        let new = |title: &str| NewTask {
            project_id: board.project.id.clone(),
            column_id: None,
            title: title.into(),
        };
        for title in [String::new(), "   ".into(), "x".repeat(10_000)] {
            let err = refused(&t, t.store.create_task(&t.origin, new(&title))).await;
            assert!(
                matches!(err, Error::Invalid { field: "title", .. }),
                "{err}"
            );
        }
        assert!(matches!(
            refused(
                &t,
                t.store
                    .create_task(&t.origin, new(&"x".repeat(MAX_TITLE_CHARS + 1)))
            )
            .await,
            Error::Invalid { field: "title", .. }
        ));

        let mut elsewhere = new("Lost");
        elsewhere.project_id = ProjectId::from("no-such-project");
        let err = refused(&t, t.store.create_task(&t.origin, elsewhere)).await;
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Project,
                ..
            }
        ));

        let mut no_column = new("Lost");
        no_column.column_id = Some(ColumnId::from("no-such-column"));
        let err = refused(&t, t.store.create_task(&t.origin, no_column)).await;
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Column,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn rename_bumps_the_version_and_logs_the_old_title() {
        let t = testing::store().await;
        let task = add(&t, 0, "Draft").await;
        let renamed = t
            .store
            .rename_task(&t.origin, &task.id, task.version, "Final")
            .await
            .unwrap();
        assert_eq!((renamed.title.as_str(), renamed.version), ("Final", 2));
        let change = log(&t).await.pop().unwrap();
        assert_eq!(change.op, Op::Update);
        let previous: serde_json::Value =
            serde_json::from_str(change.previous.unwrap().get()).unwrap();
        assert_eq!(previous["title"], "Draft");
        assert_eq!(previous["version"], 1);
    }

    #[tokio::test]
    async fn renaming_to_the_same_title_changes_nothing() {
        let t = testing::store().await;
        let task = add(&t, 0, "Same").await;
        let before = log(&t).await.len();
        let same = t
            .store
            .rename_task(&t.origin, &task.id, 1, " Same ")
            .await
            .unwrap();
        assert_eq!(same, task);
        assert_eq!(log(&t).await.len(), before);
    }

    #[tokio::test]
    async fn rename_refuses_stale_versions_unknown_ids_and_bad_titles() {
        let t = testing::store().await;
        let task = add(&t, 0, "Draft").await;
        let current = t
            .store
            .rename_task(&t.origin, &task.id, 1, "Theirs")
            .await
            .unwrap();

        let err = refused(&t, t.store.rename_task(&t.origin, &task.id, 1, "Mine")).await;
        match err {
            Error::Conflict { current: now } => assert_eq!(*now, Entity::Task(current)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let err = refused(
            &t,
            t.store
                .rename_task(&t.origin, &TaskId::from("ghost"), 1, "X"),
        )
        .await;
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Task,
                ..
            }
        ));
        for title in [String::new(), "x".repeat(10_000)] {
            let err = refused(&t, t.store.rename_task(&t.origin, &task.id, 2, &title)).await;
            assert!(matches!(err, Error::Invalid { field: "title", .. }));
        }
        assert_eq!(t.store.task(&task.id).await.unwrap().title, "Theirs");
    }

    #[tokio::test]
    async fn move_places_the_task_at_the_index_in_the_target_column() {
        let t = testing::store().await;
        let a = add(&t, 0, "A").await;
        add(&t, 1, "X").await;
        add(&t, 1, "Y").await;
        let board = inbox(&t).await;
        let doing = &board.columns[1].id;

        let moved = t
            .store
            .move_task(&t.origin, &a.id, 1, doing, 1)
            .await
            .unwrap();
        assert_eq!(&moved.column_id, doing);
        assert_eq!(moved.version, 2);
        assert_eq!(column_titles(&t, 1).await, ["X", "A", "Y"]);
        assert!(column_titles(&t, 0).await.is_empty());

        t.store
            .move_task(&t.origin, &a.id, 2, doing, 0)
            .await
            .unwrap();
        assert_eq!(column_titles(&t, 1).await, ["A", "X", "Y"]);
        t.store
            .move_task(&t.origin, &a.id, 3, doing, 99)
            .await
            .unwrap();
        assert_eq!(column_titles(&t, 1).await, ["X", "Y", "A"]);
        let change = log(&t).await.pop().unwrap();
        assert_eq!(change.op, Op::Update);
        assert_eq!(change.entity_id, a.id.0);
    }

    #[tokio::test]
    async fn moving_a_task_to_where_it_is_changes_nothing() {
        let t = testing::store().await;
        add(&t, 0, "A").await;
        let b = add(&t, 0, "B").await;
        let before = log(&t).await.len();
        let same = t
            .store
            .move_task(&t.origin, &b.id, 1, &b.column_id, 1)
            .await
            .unwrap();
        assert_eq!(same, b);
        assert_eq!(log(&t).await.len(), before);
    }

    #[tokio::test]
    async fn many_moves_into_one_gap_keep_a_strict_order() {
        let t = testing::store().await;
        let first = add(&t, 0, "first").await;
        add(&t, 0, "last").await;
        let mut expected = vec!["first".to_string(), "last".to_string()];
        // Always insert right after "first": the gap halves each time until a renumber.
        for i in 0..40 {
            let task = add(&t, 1, &format!("t{i}")).await;
            t.store
                .move_task(&t.origin, &task.id, 1, &first.column_id, 1)
                .await
                .unwrap();
            expected.insert(1, format!("t{i}"));
        }
        assert_eq!(column_titles(&t, 0).await, expected);
        let board = inbox(&t).await;
        let mut positions: Vec<_> = board.tasks.iter().map(|t| t.position).collect();
        positions.sort_unstable();
        positions.dedup();
        assert_eq!(
            positions.len(),
            board.tasks.len(),
            "no two tasks share a position"
        );
    }

    #[tokio::test]
    async fn move_refuses_stale_versions_unknown_ids_other_projects_and_negative_indexes() {
        let t = testing::store().await;
        let task = add(&t, 0, "A").await;
        let doing = inbox(&t).await.columns[1].id.clone();

        let err = refused(&t, t.store.move_task(&t.origin, &task.id, 7, &doing, 0)).await;
        assert!(matches!(err, Error::Conflict { .. }));
        let err = refused(
            &t,
            t.store
                .move_task(&t.origin, &TaskId::from("ghost"), 1, &doing, 0),
        )
        .await;
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Task,
                ..
            }
        ));
        let err = refused(
            &t,
            t.store
                .move_task(&t.origin, &task.id, 1, &ColumnId::from("ghost"), 0),
        )
        .await;
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Column,
                ..
            }
        ));
        let err = refused(&t, t.store.move_task(&t.origin, &task.id, 1, &doing, -1)).await;
        assert!(matches!(err, Error::Invalid { field: "index", .. }));

        // A column of another project, made by another program straight in the file.
        let mut conn = t.store.writer.lock().await;
        sqlx::query(
            "INSERT INTO projects VALUES ('other', 'Other', 2, 1, 0, 0);
             INSERT INTO columns VALUES ('other-col', 'other', 'Elsewhere', 1, NULL, 1, 0, 0);",
        )
        .execute(&mut conn.conn)
        .await
        .unwrap();
        drop(conn);
        let err = refused(
            &t,
            t.store
                .move_task(&t.origin, &task.id, 1, &ColumnId::from("other-col"), 0),
        )
        .await;
        assert!(matches!(
            err,
            Error::Invalid {
                field: "column_id",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn delete_removes_the_task_and_logs_what_it_was() {
        let t = testing::store().await;
        let task = add(&t, 0, "Doomed").await;
        t.store.delete_task(&t.origin, &task.id, 1).await.unwrap();
        assert!(inbox(&t).await.tasks.is_empty());
        let change = log(&t).await.pop().unwrap();
        assert_eq!(change.op, Op::Delete);
        assert!(change.data.is_none());
        let previous: Task = serde_json::from_str(change.previous.unwrap().get()).unwrap();
        assert_eq!(previous, task);
    }

    #[tokio::test]
    async fn delete_refuses_stale_versions_and_unknown_ids() {
        let t = testing::store().await;
        let task = add(&t, 0, "Kept").await;
        let err = refused(&t, t.store.delete_task(&t.origin, &task.id, 2)).await;
        assert!(matches!(err, Error::Conflict { .. }));
        let err = refused(
            &t,
            t.store.delete_task(&t.origin, &TaskId::from("ghost"), 1),
        )
        .await;
        assert!(matches!(err, Error::NotFound { .. }));
        assert_eq!(t.store.task(&task.id).await.unwrap(), task);
    }

    #[tokio::test]
    async fn every_write_is_published_on_the_bus_in_seq_order() {
        let t = testing::store().await;
        let mut bus = t.store.bus().subscribe();
        let task = add(&t, 0, "A").await;
        t.store
            .rename_task(&t.origin, &task.id, 1, "B")
            .await
            .unwrap();
        let first = bus.recv().await.unwrap();
        let second = bus.recv().await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(second[0].seq, first[0].seq + 1);
        assert_eq!(second[0].seq, t.store.seq().await.unwrap());
    }

    #[test]
    fn place_halves_gaps_and_asks_for_renumbering_when_none_is_left() {
        let s = |ps: &[i64]| -> Vec<(TaskId, i64)> {
            ps.iter().map(|p| (TaskId::from("x"), *p)).collect()
        };
        assert_eq!(place(&s(&[]), 0), Place::Between(POSITION_GAP));
        assert_eq!(place(&s(&[10]), 1), Place::Between(10 + POSITION_GAP));
        assert_eq!(place(&s(&[10, 20]), 1), Place::Between(15));
        assert_eq!(place(&s(&[10]), 0), Place::Between(5));
        assert_eq!(place(&s(&[10, 11]), 1), Place::Renumber);
        assert_eq!(place(&s(&[1]), 0), Place::Renumber);
    }
}
