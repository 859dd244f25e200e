//! Archive instead of delete: an archived task leaves its board but keeps its row, checklist,
//! labels and history, and is found by search on request. It keeps its column and position
//! meanwhile, but takes no part in the column's order; it comes back where it stood, or at the
//! column's bottom when a card took that place.

use crate::error::Result;
use crate::model::{BoardTask, Origin, ProjectId, Task, TaskId};
use crate::store::board::edit::Editable;
use crate::store::board::position::{self, List};
use crate::store::board::BOARD_TASK;
use crate::store::sql::{query, Conn};
use crate::store::{at_version, now_ms, Store};

impl Store {
    /// The archived tasks of `project` (of every project when `None`), the latest archived
    /// first, without their descriptions.
    pub async fn archived_tasks(&self, project: Option<&ProjectId>) -> Result<Vec<BoardTask>> {
        query(format!(
            "SELECT {BOARD_TASK} FROM tasks
             WHERE archived_at IS NOT NULL AND (CAST($1 AS TEXT) IS NULL OR project_id = $1)
             ORDER BY archived_at DESC, id"
        ))
        .bind(project)
        .fetch_all(&self.readers)
        .await
    }

    /// Archives (`archived`) the given tasks, each seen at its version, or brings them back to
    /// their columns (see [`comeback`]), in one transaction: all or none. A task already so is left
    /// as it is. Answers with the tasks as they now are, in the order given.
    pub async fn set_archived(
        &self,
        origin: &Origin,
        tasks: &[(TaskId, i64)],
        archived: bool,
    ) -> Result<Vec<Task>> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let (tasks, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let now = now_ms();
                let mut answers = Vec::with_capacity(tasks.len());
                for (id, expected_version) in tasks {
                    let task = at_version::<Task>(conn, &id.0, *expected_version).await?;
                    if task.archived_at.is_some() == archived {
                        answers.push(task);
                        continue;
                    }
                    let changed = if archived {
                        Task {
                            archived_at: Some(now),
                            ..task
                        }
                    } else {
                        Task {
                            archived_at: None,
                            position: comeback(conn, &task).await?,
                            ..task
                        }
                    };
                    answers.push(changed.save(conn).await?);
                }
                Ok(answers)
            })
            .await?;
        Ok(tasks)
    }
}

/// Where an archived task stands when it comes back: where it stood, when no card on the board
/// took that position meanwhile, else at the bottom of its column.
async fn comeback(conn: &mut Conn<'_>, task: &Task) -> Result<i64> {
    let taken: bool = query(
        "SELECT EXISTS (SELECT 1 FROM tasks
             WHERE column_id = $1 AND position = $2 AND archived_at IS NULL AND id <> $3)",
    )
    .bind(&task.column_id)
    .bind(task.position)
    .bind(&task.id)
    .scalar(&mut *conn)
    .await?;
    if !taken {
        return Ok(task.position);
    }
    let bottom = position::slot(
        conn,
        List::Tasks,
        Some(&task.column_id.0),
        &task.id.0,
        None,
        usize::MAX,
    )
    .await?;
    Ok(bottom.unwrap_or(task.position))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::export::{Export, Format};
    use crate::model::{Board, Change, ColumnId, Op};
    use crate::store::testing::{self, TestStore};
    use crate::store::{NewTask, Search};

    async fn add(store: &Store, origin: &Origin, column: &ColumnId, title: &str) -> Task {
        let board_of = store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: board_of,
            column_id: Some(column.clone()),
            title: title.into(),
        };
        store.create_task(origin, new).await.unwrap()
    }

    async fn inbox(store: &Store) -> Board {
        let id = store.first_project().await.unwrap().id;
        store.board(&id).await.unwrap()
    }

    /// The titles of `column`'s cards on the board, top to bottom.
    fn titles(board: &Board, column: &ColumnId) -> Vec<String> {
        let mut tasks: Vec<_> = board
            .tasks
            .iter()
            .filter(|t| t.column_id == *column)
            .collect();
        tasks.sort_by_key(|t| t.position);
        tasks.iter().map(|t| t.title.clone()).collect()
    }

    async fn found(store: &Store, text: &str, archived: bool) -> Vec<String> {
        let search = Search {
            archived,
            ..Search::new(text)
        };
        let hits = store.search(search).await.unwrap();
        hits.into_iter().map(|h| h.title).collect()
    }

    /// What a user relies on, alike on a file and on a server: an archived card leaves the
    /// board but keeps its checklist, labels and history; search and export still see it; it
    /// takes no part in its column's order; and it comes back where it stood.
    async fn an_archived_card_leaves_the_board_and_comes_back_whole(
        TestStore { store, origin, .. }: TestStore,
    ) {
        let board = inbox(&store).await;
        let todo = board.columns[0].id.clone();
        let first = add(&store, &origin, &todo, "Water the ferns").await;
        let card = add(&store, &origin, &todo, "Fix the login page").await;
        let last = add(&store, &origin, &todo, "Plan the picnic").await;
        store
            .add_subtask(&origin, &card.id, "Reproduce it")
            .await
            .unwrap();
        let label = store
            .create_label(&origin, &board.project.id, "Bug", "#ff0000")
            .await
            .unwrap();
        store
            .add_task_label(&origin, &card.id, &label.id)
            .await
            .unwrap();
        let card = store.task(&card.id).await.unwrap();
        let seq = store.seq().await.unwrap();

        let archived = store
            .set_archived(&origin, &[(card.id.clone(), card.version)], true)
            .await
            .unwrap();
        assert_eq!(archived.len(), 1);
        assert!(archived[0].archived_at.is_some());
        assert_eq!(archived[0].version, card.version + 1);

        // Logged as one update that says what changed.
        let batch = store.changes_since(seq, None).await.unwrap();
        let changes: Vec<&Change> = batch.changes.iter().collect();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].op, Op::Update);
        assert_eq!(changes[0].entity_id, card.id.0);
        let json = |raw: Option<&Box<serde_json::value::RawValue>>| -> serde_json::Value {
            serde_json::from_str(raw.expect("logged").get()).unwrap()
        };
        assert!(json(changes[0].data.as_ref())["archived_at"].is_i64());
        assert!(json(changes[0].previous.as_ref())["archived_at"].is_null());

        // Off the board, in the archive, with its checklist and labels.
        let after = inbox(&store).await;
        assert_eq!(
            titles(&after, &todo),
            ["Water the ferns", "Plan the picnic"]
        );
        assert!(after.subtasks.iter().any(|s| s.task_id == card.id));
        let archive = store.archived_tasks(Some(&board.project.id)).await.unwrap();
        assert_eq!(archive.len(), 1);
        assert_eq!(archive[0].title, "Fix the login page");
        assert_eq!(store.subtasks(&card.id).await.unwrap().len(), 1);
        assert_eq!(store.task_labels(&card.id).await.unwrap().len(), 1);
        assert!(store.tasks(&board.project.id).await.unwrap().len() == 2);

        // Found only when asked for.
        assert!(found(&store, "login", false).await.is_empty());
        assert_eq!(found(&store, "login", true).await, ["Fix the login page"]);

        // Exported, marked as archived.
        let export = Export::read(&store, None).await.unwrap();
        let cards = &export.projects[0].columns[0].cards;
        assert_eq!(cards.len(), 3);
        assert!(cards
            .iter()
            .any(|c| c.title == "Fix the login page" && c.archived));
        assert!(export.render(Format::Csv).unwrap().contains("yes"));

        // It cannot be moved while archived, and the column's order counts the board's cards
        // only: index 1 is between the two cards shown.
        let moved = store
            .move_task(&origin, &card.id, archived[0].version, &todo, 0)
            .await
            .unwrap_err();
        assert!(matches!(moved, Error::Invalid { .. }), "{moved:?}");
        store
            .move_task(&origin, &first.id, first.version, &todo, 1)
            .await
            .unwrap();
        assert_eq!(
            titles(&inbox(&store).await, &todo),
            ["Plan the picnic", "Water the ferns"]
        );
        let _ = last;

        // Back where it stood, whole.
        let back = store
            .set_archived(&origin, &[(card.id.clone(), archived[0].version)], false)
            .await
            .unwrap();
        assert_eq!(back[0].archived_at, None);
        let after = inbox(&store).await;
        assert_eq!(
            titles(&after, &todo),
            ["Fix the login page", "Plan the picnic", "Water the ferns"]
        );
        assert_eq!(store.subtasks(&card.id).await.unwrap().len(), 1);
        assert_eq!(store.task_labels(&card.id).await.unwrap().len(), 1);
        assert!(store
            .archived_tasks(Some(&board.project.id))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(found(&store, "login", false).await, ["Fix the login page"]);

        // Archiving it twice over, or a card on the board "back", changes nothing.
        let seq = store.seq().await.unwrap();
        let same = store
            .set_archived(&origin, &[(card.id.clone(), back[0].version)], false)
            .await
            .unwrap();
        assert_eq!(same[0].version, back[0].version);
        assert_eq!(store.seq().await.unwrap(), seq);
    }

    #[tokio::test]
    async fn an_archived_card_leaves_the_board_and_comes_back_whole_in_a_file() {
        an_archived_card_leaves_the_board_and_comes_back_whole(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn an_archived_card_leaves_the_board_and_comes_back_whole_on_a_server() {
        an_archived_card_leaves_the_board_and_comes_back_whole(testing::server_store().await).await;
    }

    /// Several cards (a column's Archive all) go in one write, or none does when one of them
    /// was changed meanwhile.
    async fn archiving_several_is_all_or_nothing(TestStore { store, origin, .. }: TestStore) {
        let board = inbox(&store).await;
        let done = board.columns[2].id.clone();
        let a = add(&store, &origin, &done, "Shipped 1.0").await;
        let b = add(&store, &origin, &done, "Wrote the notes").await;
        let stale = store
            .rename_task(&origin, &b.id, b.version, "Wrote the release notes")
            .await
            .unwrap();
        let seq = store.seq().await.unwrap();

        let refused = store
            .set_archived(
                &origin,
                &[(a.id.clone(), a.version), (b.id.clone(), b.version)],
                true,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::Conflict { .. }), "{refused:?}");
        assert_eq!(store.seq().await.unwrap(), seq, "nothing was written");
        assert_eq!(titles(&inbox(&store).await, &done).len(), 2);

        let archived = store
            .set_archived(
                &origin,
                &[(a.id.clone(), a.version), (b.id.clone(), stale.version)],
                true,
            )
            .await
            .unwrap();
        assert!(archived.iter().all(|t| t.archived_at.is_some()));
        let batch = store.changes_since(seq, None).await.unwrap();
        assert_eq!(batch.changes.len(), 2);
        assert!(titles(&inbox(&store).await, &done).is_empty());

        // Unknown ids are refused whole too.
        let unknown = store
            .set_archived(
                &origin,
                &[
                    (a.id.clone(), archived[0].version),
                    (TaskId::from("nope"), 1),
                ],
                false,
            )
            .await
            .unwrap_err();
        assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
        assert!(titles(&inbox(&store).await, &done).is_empty());
    }

    #[tokio::test]
    async fn archiving_several_is_all_or_nothing_in_a_file() {
        archiving_several_is_all_or_nothing(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn archiving_several_is_all_or_nothing_on_a_server() {
        archiving_several_is_all_or_nothing(testing::server_store().await).await;
    }

    /// A column whose only cards are archived can be deleted without saying where they go: they
    /// stay archived, in the first column left, and come back there.
    #[tokio::test]
    async fn deleting_a_column_keeps_its_archived_cards() {
        let t = testing::store().await;
        let (store, origin) = (&t.store, &t.origin);
        let board = inbox(store).await;
        let doing = board.columns[1].clone();
        let card = add(store, origin, &doing.id, "Half-built shed").await;
        store
            .set_archived(origin, &[(card.id.clone(), card.version)], true)
            .await
            .unwrap();
        store
            .delete_column(origin, &doing.id, doing.version, None)
            .await
            .unwrap();
        let kept = store.task(&card.id).await.unwrap();
        assert!(kept.archived_at.is_some());
        assert_eq!(kept.column_id, board.columns[0].id);
        let back = store
            .set_archived(origin, &[(kept.id.clone(), kept.version)], false)
            .await
            .unwrap();
        assert_eq!(
            titles(&inbox(store).await, &board.columns[0].id),
            ["Half-built shed"]
        );
        // And an archived card can be deleted for good.
        store
            .set_archived(origin, &[(kept.id.clone(), back[0].version)], true)
            .await
            .unwrap();
        let archived = store.task(&card.id).await.unwrap();
        store
            .delete_task(origin, &card.id, archived.version)
            .await
            .unwrap();
        assert!(store.archived_tasks(None).await.unwrap().is_empty());
    }

    /// Archived cards ranked first still leave a search its limit's worth of cards on the
    /// boards: the index is cut past them, not at the limit.
    async fn archived_matches_do_not_crowd_out_the_limit(
        TestStore { store, origin, .. }: TestStore,
    ) {
        let todo = inbox(&store).await.columns[0].id.clone();
        let mut seen = Vec::new();
        for i in 0..3 {
            // The word in the title ranks these first.
            let t = add(&store, &origin, &todo, &format!("Tulip bed {i}")).await;
            seen.push((t.id, t.version));
        }
        for i in 0..3 {
            let t = add(&store, &origin, &todo, &format!("Bed {i}")).await;
            let edit = crate::store::TaskEdit {
                description: Some("a tulip somewhere in a long description".into()),
                ..Default::default()
            };
            store
                .edit_task(&origin, &t.id, t.version, edit)
                .await
                .unwrap();
        }
        store.set_archived(&origin, &seen, true).await.unwrap();
        let search = Search {
            limit: 2,
            ..Search::new("tulip")
        };
        let hits = store.search(search).await.unwrap();
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(hits.iter().all(|h| h.archived_at.is_none()));
        let search = Search {
            limit: 2,
            archived: true,
            ..Search::new("tulip")
        };
        let hits = store.search(search).await.unwrap();
        assert!(hits.iter().all(|h| h.archived_at.is_some()), "{hits:?}");
    }

    #[tokio::test]
    async fn archived_matches_do_not_crowd_out_the_limit_in_a_file() {
        archived_matches_do_not_crowd_out_the_limit(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn archived_matches_do_not_crowd_out_the_limit_on_a_server() {
        archived_matches_do_not_crowd_out_the_limit(testing::server_store().await).await;
    }
}
