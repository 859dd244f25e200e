//! Tasks: create, edit, move, delete.

use crate::store::sql::{query, Conn};

use crate::error::{Error, Result};
use crate::model::{ColumnId, EntityKind, Origin, Priority, ProjectId, Task, TaskId};
use crate::store::board::column;
use crate::store::board::position::{self, List};
use crate::store::{at_version, now_ms, Store};
use crate::validate;

/// What a caller gives to create a task.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub project_id: ProjectId,
    /// The column to add it to; the project's first column when not given.
    pub column_id: Option<ColumnId>,
    pub title: String,
}

/// The fields of a task to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    /// `Some(None)` clears the due date.
    pub due_date: Option<Option<String>>,
}

impl TaskEdit {
    /// The edit with every given field checked and tidied, or the first bad field.
    fn validated(self) -> Result<TaskEdit> {
        Ok(TaskEdit {
            title: self
                .title
                .map(|t| validate::title("title", &t))
                .transpose()?,
            description: self
                .description
                .map(|d| validate::description("description", &d))
                .transpose()?,
            priority: self.priority,
            due_date: self
                .due_date
                .map(|due| due.map(|d| validate::date("due_date", &d)).transpose())
                .transpose()?,
        })
    }
}

pub use crate::model::Step;

impl Store {
    pub async fn task(&self, id: &TaskId) -> Result<Task> {
        self.lookup(query("SELECT * FROM tasks WHERE id = $1").bind(id))
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Task, id))
    }

    /// The tasks on `project`'s board, column by column in board order.
    pub async fn tasks(&self, project: &ProjectId) -> Result<Vec<Task>> {
        query(
            "SELECT t.* FROM tasks t JOIN columns c ON c.id = t.column_id
             WHERE t.project_id = $1 AND t.archived_at IS NULL ORDER BY c.position, t.position",
        )
        .bind(project)
        .fetch_all(&self.readers)
        .await
    }

    /// Adds a task at the bottom of its column.
    pub async fn create_task(&self, origin: &Origin, new: NewTask) -> Result<Task> {
        let title = validate::title("title", &new.title)?;
        let id = TaskId::made_by(origin)?;
        let (task, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
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
                let position =
                    position::slot(conn, List::Tasks, Some(&column.id.0), &id.0, None, usize::MAX)
                        .await?;
                let now = now_ms();
                let task: Task = query(
                    "INSERT INTO tasks (id, project_id, column_id, title, position, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)
                     RETURNING *",
                )
                .bind(&id)
                .bind(&column.project_id)
                .bind(&column.id)
                .bind(&title)
                .bind(position)
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
        let edit = TaskEdit {
            title: Some(title.to_owned()),
            ..TaskEdit::default()
        };
        self.edit_task(origin, id, expected_version, edit).await
    }

    /// Changes the given fields of a task. Fields equal to the current ones change nothing;
    /// an edit that changes nothing is not logged and keeps the version.
    pub async fn edit_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
        edit: TaskEdit,
    ) -> Result<Task> {
        let edit = edit.validated()?;
        self.update(origin, &id.0, expected_version, async |_, task: Task| {
            Ok(Task {
                title: edit.title.unwrap_or_else(|| task.title.clone()),
                description: edit.description.unwrap_or_else(|| task.description.clone()),
                priority: edit.priority.unwrap_or(task.priority),
                due_date: edit.due_date.unwrap_or_else(|| task.due_date.clone()),
                ..task
            })
        })
        .await
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
        self.update(origin, &id.0, expected_version, async |conn, task: Task| {
            let column = column(conn, to_column).await?;
            if column.project_id != task.project_id {
                return Err(Error::invalid(
                    "column_id",
                    "a task can only move to a column of its own project",
                ));
            }
            placed(conn, task, &column.id, to_index).await
        })
        .await
    }

    /// Moves a task one step: to the next or previous column, or up or down in its own. A step
    /// past the edge of the board changes nothing.
    pub async fn step_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
        step: Step,
    ) -> Result<Task> {
        self.update(
            origin,
            &id.0,
            expected_version,
            async |conn, task: Task| match step {
                Step::NextColumn | Step::PreviousColumn => {
                    let columns: Vec<ColumnId> =
                        query("SELECT id FROM columns WHERE project_id = $1 ORDER BY position, id")
                            .bind(&task.project_id)
                            .scalars(&mut *conn)
                            .await?;
                    let here = columns.iter().position(|c| *c == task.column_id);
                    let there = match (here, step) {
                        (Some(i), Step::NextColumn) => columns.get(i + 1),
                        (Some(i), _) => i.checked_sub(1).and_then(|i| columns.get(i)),
                        (None, _) => None,
                    };
                    match there.cloned() {
                        Some(column) => placed(conn, task, &column, usize::MAX).await,
                        None => Ok(task),
                    }
                }
                Step::Up | Step::Down => {
                    let above: i64 = query(
                        "SELECT COUNT(*) FROM tasks
                             WHERE column_id = $1 AND position < $2 AND archived_at IS NULL",
                    )
                    .bind(&task.column_id)
                    .bind(task.position)
                    .scalar(&mut *conn)
                    .await?;
                    let index = match step {
                        Step::Up if above == 0 => return Ok(task),
                        Step::Up => above - 1,
                        _ => above + 1,
                    };
                    let column = task.column_id.clone();
                    placed(conn, task, &column, usize::try_from(index).unwrap_or(0)).await
                }
            },
        )
        .await
    }

    /// Deletes a task with its subtasks, labels, people and comments.
    pub async fn delete_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            at_version::<Task>(conn, &id.0, expected_version).await?;
            // Children first and explicitly, so each of their log rows still finds its project.
            for sql in [
                "DELETE FROM comments WHERE task_id = $1",
                "DELETE FROM task_assignees WHERE task_id = $1",
                "DELETE FROM task_labels WHERE task_id = $1",
                "DELETE FROM subtasks WHERE task_id = $1",
                "DELETE FROM tasks WHERE id = $1",
            ] {
                query(sql).bind(id).execute(&mut *conn).await?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// `task` as it is when it stands at `index` in `column` (of its project): unchanged when it
/// already stands there.
async fn placed(conn: &mut Conn<'_>, task: Task, column: &ColumnId, index: usize) -> Result<Task> {
    movable(&task)?;
    let current = (task.column_id == *column).then_some(task.position);
    let slot = position::slot(
        conn,
        List::Tasks,
        Some(&column.0),
        &task.id.0,
        current,
        index,
    )
    .await?;
    Ok(match slot {
        Some(position) => Task {
            column_id: column.clone(),
            position,
            ..task
        },
        None => task,
    })
}

/// Refuses to move an archived task: it is off the board, and comes back by unarchive.
pub(in crate::store) fn movable(task: &Task) -> Result<()> {
    match task.archived_at {
        Some(_) => Err(Error::invalid(
            "id",
            "the task is archived: unarchive it to move it",
        )),
        None => Ok(()),
    }
}

async fn first_column(conn: &mut Conn<'_>, project: &ProjectId) -> Result<crate::model::Column> {
    let exists: bool = query("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)")
        .bind(project)
        .scalar(&mut *conn)
        .await?;
    if !exists {
        return Err(Error::not_found(EntityKind::Project, project));
    }
    query("SELECT * FROM columns WHERE project_id = $1 ORDER BY position LIMIT 1")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::invalid("column_id", "the project has no columns"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, Change, Entity, Op};
    use crate::store::testing::{self, TestStore};
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
        query(
            "INSERT INTO projects VALUES ('other', 'Other', 2, 1, 0, 0);
             INSERT INTO columns VALUES ('other-col', 'other', 'Elsewhere', 1, NULL, 1, 0, 0);",
        )
        .execute(&mut conn.conn.as_mut().unwrap().conn())
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

    #[tokio::test]
    async fn an_edit_changes_the_given_fields_in_one_logged_update() {
        let t = testing::store().await;
        let task = add(&t, 0, "Plan").await;
        let edit = TaskEdit {
            description: Some("First line\r\nSecond line".into()),
            priority: Some(Priority::High),
            due_date: Some(Some("2026-12-24".into())),
            ..TaskEdit::default()
        };
        let edited = t
            .store
            .edit_task(&t.origin, &task.id, 1, edit)
            .await
            .unwrap();
        assert_eq!(edited.title, "Plan");
        assert_eq!(edited.description, "First line\nSecond line");
        assert_eq!(edited.priority, Priority::High);
        assert_eq!(edited.due_date.as_deref(), Some("2026-12-24"));
        assert_eq!(edited.version, 2);
        let change = log(&t).await.pop().unwrap();
        let previous: serde_json::Value =
            serde_json::from_str(change.previous.unwrap().get()).unwrap();
        assert_eq!(previous["priority"], "none", "the log keeps what it was");

        let cleared = TaskEdit {
            due_date: Some(None),
            ..TaskEdit::default()
        };
        let edited = t
            .store
            .edit_task(&t.origin, &task.id, 2, cleared)
            .await
            .unwrap();
        assert_eq!(edited.due_date, None);
    }

    #[tokio::test]
    async fn an_edit_with_a_bad_field_is_refused_by_name_and_writes_nothing() {
        let t = testing::store().await;
        let task = add(&t, 0, "Plan").await;
        let cases = [
            (
                TaskEdit {
                    due_date: Some(Some("2026-02-30".into())),
                    ..TaskEdit::default()
                },
                "due_date",
            ),
            (
                TaskEdit {
                    description: Some("x".repeat(validate::MAX_DESCRIPTION_CHARS + 1)),
                    ..TaskEdit::default()
                },
                "description",
            ),
            (
                TaskEdit {
                    title: Some("two\nlines".into()),
                    priority: Some(Priority::Low),
                    ..TaskEdit::default()
                },
                "title",
            ),
        ];
        for (edit, field) in cases {
            let err = refused(&t, t.store.edit_task(&t.origin, &task.id, 1, edit)).await;
            assert!(
                matches!(err, Error::Invalid { field: f, .. } if f == field),
                "{field}: {err}"
            );
        }
        assert_eq!(t.store.task(&task.id).await.unwrap(), task);
    }

    #[tokio::test]
    async fn steps_move_a_task_to_neighbouring_places_and_stop_at_the_edges() {
        let t = testing::store().await;
        let a = add(&t, 0, "A").await;
        add(&t, 0, "B").await;
        let step = |id: TaskId, version: i64, step: Step| {
            let t = &t;
            async move {
                t.store
                    .step_task(&t.origin, &id, version, step)
                    .await
                    .unwrap()
            }
        };
        let a = step(a.id, 1, Step::Down).await;
        assert_eq!(column_titles(&t, 0).await, ["B", "A"]);
        let a = step(a.id, a.version, Step::Down).await;
        assert_eq!(a.version, 2, "the bottom is as far down as it goes");
        let a = step(a.id, a.version, Step::Up).await;
        assert_eq!(column_titles(&t, 0).await, ["A", "B"]);
        let a = step(a.id, a.version, Step::PreviousColumn).await;
        assert_eq!(
            column_titles(&t, 0).await,
            ["A", "B"],
            "no column before the first"
        );
        let a = step(a.id, a.version, Step::NextColumn).await;
        let a = step(a.id, a.version, Step::NextColumn).await;
        assert_eq!(column_titles(&t, 2).await, ["A"]);
        let a = step(a.id, a.version, Step::NextColumn).await;
        assert_eq!(
            column_titles(&t, 2).await,
            ["A"],
            "no column after the last"
        );
        step(a.id, a.version, Step::PreviousColumn).await;
        assert_eq!(column_titles(&t, 1).await, ["A"]);
    }

    #[tokio::test]
    async fn a_deleted_task_comes_back_with_its_checklist_and_labels() {
        let t = testing::store().await;
        let task = add(&t, 1, "Ship").await;
        add(&t, 1, "Other").await;
        let item = t
            .store
            .add_subtask(&t.origin, &task.id, "Draft")
            .await
            .unwrap();
        t.store
            .check_subtask(&t.origin, &item.id, 1, true)
            .await
            .unwrap();
        let inbox = inbox(&t).await.project.id;
        let bug = t
            .store
            .create_label(&t.origin, &inbox, "Bug", "#ff0000")
            .await
            .unwrap();
        let gone = t
            .store
            .create_label(&t.origin, &inbox, "Gone", "#00ff00")
            .await
            .unwrap();
        t.store
            .set_task_labels(&t.origin, &task.id, 1, &[bug.id.clone(), gone.id.clone()])
            .await
            .unwrap();
        t.store.delete_task(&t.origin, &task.id, 1).await.unwrap();
        t.store.delete_label(&t.origin, &gone.id, 1).await.unwrap();

        let back = t.store.restore_task(&t.origin, &task.id).await.unwrap();
        assert_eq!(
            (back.id.clone(), back.title.as_str()),
            (task.id.clone(), "Ship")
        );
        assert_eq!(back.version, 2, "a restore is a change like any other");
        assert_eq!(
            column_titles(&t, 1).await,
            ["Ship", "Other"],
            "back in its place"
        );
        let items = t.store.subtasks(&task.id).await.unwrap();
        assert_eq!((items[0].title.as_str(), items[0].done), ("Draft", true));
        let labels: Vec<_> = t
            .store
            .task_labels(&task.id)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(labels, ["Bug"], "a label deleted since stays off");

        let again = t.store.restore_task(&t.origin, &task.id).await.unwrap_err();
        assert!(matches!(again, Error::Invalid { field: "id", .. }));
        let never = t
            .store
            .restore_task(&t.origin, &TaskId::from("never"))
            .await
            .unwrap_err();
        assert!(matches!(never, Error::NotFound { .. }));
    }
}
