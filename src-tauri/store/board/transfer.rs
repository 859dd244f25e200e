//! A card moved to another project, with its checklist and its labels.
//!
//! A window follows one project's changes, so the move is logged as the card leaving one project
//! (its labels, checklist and itself deleted there) and arriving in the other (inserted there
//! under the same ids): each project's windows hear what concerns them, and whoever reads the
//! log, whatever database it is on, sees exactly what happened. Labels are per project: the
//! card's labels become the other project's labels of the same names, made when it has none.

use crate::error::{Error, Result};
use crate::model::{ColumnId, Comment, Label, LabelId, Origin, Subtask, Task, TaskId};
use crate::store::board::position::{self, List};
use crate::store::board::task::movable;
use crate::store::board::{column, comment};
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{at_version, now_ms, Store};
use crate::validate;

impl Store {
    /// Moves task `id`, seen at `expected_version`, to `to_index` (past the end: the bottom) in
    /// `to_column` of another project. An archived task is refused, as any move of one is.
    pub async fn transfer_task(
        &self,
        origin: &Origin,
        id: &TaskId,
        expected_version: i64,
        to_column: &ColumnId,
        to_index: i64,
    ) -> Result<Task> {
        let to_index = validate::index("index", to_index)?;
        let (task, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let task = at_version::<Task>(conn, &id.0, expected_version).await?;
                movable(&task)?;
                let target = column(conn, to_column).await?;
                if target.project_id == task.project_id {
                    return Err(Error::invalid(
                        "column_id",
                        "the column is in the task's own project: move it there instead",
                    ));
                }
                let items: Vec<Subtask> =
                    query("SELECT * FROM subtasks WHERE task_id = $1 ORDER BY position")
                        .bind(id)
                        .fetch_all(&mut *conn)
                        .await?;
                let labels: Vec<Label> = query(
                    "SELECT l.* FROM labels l JOIN task_labels tl ON tl.label_id = l.id
                     WHERE tl.task_id = $1 ORDER BY l.name",
                )
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;

                let assignees: Vec<String> =
                    query("SELECT login FROM task_assignees WHERE task_id = $1 ORDER BY login")
                        .bind(id)
                        .scalars(&mut *conn)
                        .await?;

                let comments: Vec<Comment> =
                    query("SELECT * FROM comments WHERE task_id = $1 ORDER BY created_at, id")
                        .bind(id)
                        .fetch_all(&mut *conn)
                        .await?;

                // Leaving: children first, so each log row still finds the project.
                for sql in [
                    "DELETE FROM comments WHERE task_id = $1",
                    "DELETE FROM task_assignees WHERE task_id = $1",
                    "DELETE FROM task_labels WHERE task_id = $1",
                    "DELETE FROM subtasks WHERE task_id = $1",
                    "DELETE FROM tasks WHERE id = $1",
                ] {
                    query(sql).bind(id).execute(&mut *conn).await?;
                }

                // Arriving, under the same ids, one version on.
                let position =
                    position::slot(conn, List::Tasks, Some(&target.id.0), &id.0, None, to_index)
                        .await?
                        .unwrap_or(position::POSITION_GAP);
                let now = now_ms();
                let moved: Task = query(
                    "INSERT INTO tasks (id, project_id, column_id, title, description, priority,
                        due_date, position, version, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     RETURNING *",
                )
                .bind(id)
                .bind(&target.project_id)
                .bind(&target.id)
                .bind(&task.title)
                .bind(&task.description)
                .bind(task.priority)
                .bind(&task.due_date)
                .bind(position)
                .bind(task.version + 1)
                .bind(task.created_at)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
                for item in &items {
                    query(
                        "INSERT INTO subtasks (id, task_id, title, done, position, version,
                            created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&item.id)
                    .bind(id)
                    .bind(&item.title)
                    .bind(item.done)
                    .bind(item.position)
                    .bind(item.version + 1)
                    .bind(item.created_at)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                for label in &labels {
                    let there: Option<LabelId> = query(
                        "SELECT id FROM labels WHERE project_id = $1 AND lower(name) = lower($2)",
                    )
                    .bind(&target.project_id)
                    .bind(&label.name)
                    .scalar_optional(&mut *conn)
                    .await?;
                    let there = match there {
                        Some(there) => there,
                        None => {
                            let made = LabelId::brought_by(id, task.version, &label.id);
                            query(
                                "INSERT INTO labels (id, project_id, name, color, created_at,
                                    updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $5)",
                            )
                            .bind(&made)
                            .bind(&target.project_id)
                            .bind(&label.name)
                            .bind(&label.color)
                            .bind(now)
                            .execute(&mut *conn)
                            .await?;
                            made
                        }
                    };
                    query("INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(&there)
                        .execute(&mut *conn)
                        .await?;
                }
                // Its people come along where they may be: on a server, those who are members
                // of the project it goes to.
                let keep = match conn.dialect() {
                    Dialect::Sqlite => {
                        "INSERT INTO task_assignees (task_id, login)
                         SELECT $1, $2 WHERE $3 IS NOT NULL"
                    }
                    Dialect::Postgres => {
                        "INSERT INTO task_assignees (task_id, login)
                         SELECT $1, $2 WHERE EXISTS
                             (SELECT 1 FROM members WHERE project_id = $3 AND login = $2)"
                    }
                };
                for login in &assignees {
                    query(keep)
                        .bind(id)
                        .bind(login)
                        .bind(&target.project_id)
                        .execute(&mut *conn)
                        .await?;
                }
                // Its conversation comes along whole.
                for said in &comments {
                    comment::put_back(conn, said, now).await?;
                }
                Ok(moved)
            })
            .await?;
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    /// What a user relies on, alike on a file and on a server: the card lands in the other
    /// project with its checklist and its labels (matched by name, made when missing); each
    /// project's log says what concerns it; search finds it in its new project.
    async fn a_card_moves_to_another_project_whole(TestStore { store, origin, .. }: TestStore) {
        let inbox = store.first_project().await.unwrap().id;
        let garden = store.create_project(&origin, "Garden").await.unwrap().id;
        let new = NewTask {
            project_id: inbox.clone(),
            column_id: None,
            title: "Plant tulip bulbs".into(),
        };
        let card = store.create_task(&origin, new).await.unwrap();
        store
            .add_subtask(&origin, &card.id, "Buy bulbs")
            .await
            .unwrap();
        let bug = store
            .create_label(&origin, &inbox, "Outside", "#16a34a")
            .await
            .unwrap();
        let urgent = store
            .create_label(&origin, &inbox, "Urgent", "#dc2626")
            .await
            .unwrap();
        let theirs = store
            .create_label(&origin, &garden, "urgent", "#000000")
            .await
            .unwrap();
        store
            .set_task_labels(
                &origin,
                &card.id,
                card.version,
                &[bug.id.clone(), urgent.id],
            )
            .await
            .unwrap();
        let card = store.task(&card.id).await.unwrap();
        let doing = store.board(&garden).await.unwrap().columns[1].clone();
        let seq = store.seq().await.unwrap();

        let moved = store
            .transfer_task(&origin, &card.id, card.version, &doing.id, 0)
            .await
            .unwrap();
        assert_eq!(
            (moved.project_id.clone(), moved.column_id.clone()),
            (garden.clone(), doing.id.clone())
        );
        assert_eq!(moved.version, card.version + 1);
        assert_eq!(moved.id, card.id, "the same card, not a copy");

        let there = store.board(&garden).await.unwrap();
        assert_eq!(there.tasks.len(), 1);
        assert_eq!(there.subtasks.len(), 1);
        let names: Vec<String> = store
            .task_labels(&card.id)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(names, ["Outside", "urgent"], "matched by name, or made");
        assert!(there.task_labels.iter().any(|l| l.label_id == theirs.id));
        assert!(store.board(&inbox).await.unwrap().tasks.is_empty());

        // Each project's log tells its windows what concerns them.
        let left = store.changes_since(seq, Some(&inbox)).await.unwrap();
        assert!(left
            .changes
            .iter()
            .any(|c| c.op == Op::Delete && c.entity_id == card.id.0));
        let arrived = store.changes_since(seq, Some(&garden)).await.unwrap();
        assert!(arrived
            .changes
            .iter()
            .any(|c| c.op == Op::Insert && c.entity_id == card.id.0));

        let found = store
            .search(crate::store::Search {
                project: Some(&garden),
                ..crate::store::Search::new("bulbs")
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1);

        // A stale version, or a column of its own project, is refused and changes nothing.
        let seq = store.seq().await.unwrap();
        let stale = store
            .transfer_task(&origin, &card.id, card.version, &doing.id, 0)
            .await
            .unwrap_err();
        assert!(matches!(stale, Error::Conflict { .. }), "{stale:?}");
        let same = store
            .transfer_task(&origin, &card.id, moved.version, &doing.id, 0)
            .await
            .unwrap_err();
        assert!(matches!(same, Error::Invalid { .. }), "{same:?}");
        assert_eq!(store.seq().await.unwrap(), seq);
    }

    #[tokio::test]
    async fn a_card_moves_to_another_project_whole_in_a_file() {
        a_card_moves_to_another_project_whole(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_card_moves_to_another_project_whole_on_a_server() {
        a_card_moves_to_another_project_whole(testing::server_store().await).await;
    }
}
