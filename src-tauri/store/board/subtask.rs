//! Subtasks: a task's checklist. Add, rename, check, reorder, remove.

use crate::store::sql::{query, Conn};

use crate::error::{Error, Result};
use crate::model::{EntityKind, Origin, Subtask, SubtaskId, TaskId};
use crate::store::board::position::{self, List};
use crate::store::{at_version, now_ms, Store};
use crate::validate;

impl Store {
    pub async fn subtask(&self, id: &SubtaskId) -> Result<Subtask> {
        query("SELECT * FROM subtasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.readers)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Subtask, id))
    }

    /// A task's checklist, top to bottom.
    pub async fn subtasks(&self, task: &TaskId) -> Result<Vec<Subtask>> {
        query("SELECT * FROM subtasks WHERE task_id = $1 ORDER BY position")
            .bind(task)
            .fetch_all(&self.readers)
            .await
    }

    /// Adds a subtask at the bottom of `task`'s checklist.
    pub async fn add_subtask(
        &self,
        origin: &Origin,
        task: &TaskId,
        title: &str,
    ) -> Result<Subtask> {
        let title = validate::title("title", title)?;
        let id = SubtaskId::made_by(origin)?;
        let (subtask, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                super::task_exists(conn, task).await?;
                let position =
                    position::slot(conn, List::Subtasks, Some(&task.0), &id.0, None, usize::MAX)
                        .await?;
                let now = now_ms();
                query(
                    "INSERT INTO subtasks (id, task_id, title, position, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
                )
                .bind(&id)
                .bind(task)
                .bind(&title)
                .bind(position)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
            })
            .await?;
        Ok(subtask)
    }

    /// Gives a subtask a new title.
    pub async fn rename_subtask(
        &self,
        origin: &Origin,
        id: &SubtaskId,
        expected_version: i64,
        title: &str,
    ) -> Result<Subtask> {
        let title = validate::title("title", title)?;
        self.update(
            origin,
            &id.0,
            expected_version,
            async |_, subtask: Subtask| Ok(Subtask { title, ..subtask }),
        )
        .await
    }

    /// Checks a subtask off, or back on.
    pub async fn check_subtask(
        &self,
        origin: &Origin,
        id: &SubtaskId,
        expected_version: i64,
        done: bool,
    ) -> Result<Subtask> {
        self.update(
            origin,
            &id.0,
            expected_version,
            async |_, subtask: Subtask| Ok(Subtask { done, ..subtask }),
        )
        .await
    }

    /// Moves a subtask to `to_index` in its checklist (past the end: the bottom).
    pub async fn move_subtask(
        &self,
        origin: &Origin,
        id: &SubtaskId,
        expected_version: i64,
        to_index: i64,
    ) -> Result<Subtask> {
        self.reorder(origin, &id.0, expected_version, to_index)
            .await
    }

    /// Removes a subtask.
    pub async fn delete_subtask(
        &self,
        origin: &Origin,
        id: &SubtaskId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            at_version::<Subtask>(conn, &id.0, expected_version).await?;
            query("DELETE FROM subtasks WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Task;
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    async fn task(t: &TestStore) -> Task {
        let inbox = t.store.first_project().await.unwrap();
        let new = NewTask {
            project_id: inbox.id,
            column_id: None,
            title: "Release".into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap()
    }

    async fn titles(t: &TestStore, task: &TaskId) -> Vec<(String, bool)> {
        let board = t
            .store
            .board(&t.store.task(task).await.unwrap().project_id)
            .await
            .unwrap();
        let mut subtasks: Vec<_> = board
            .subtasks
            .iter()
            .filter(|s| s.task_id == *task)
            .collect();
        subtasks.sort_by_key(|s| s.position);
        subtasks.iter().map(|s| (s.title.clone(), s.done)).collect()
    }

    #[tokio::test]
    async fn a_checklist_is_added_to_checked_reordered_renamed_and_trimmed() {
        let t = testing::store().await;
        let task = task(&t).await;
        let write = t
            .store
            .add_subtask(&t.origin, &task.id, " Write notes ")
            .await
            .unwrap();
        let tag = t
            .store
            .add_subtask(&t.origin, &task.id, "Tag")
            .await
            .unwrap();
        assert_eq!(write.title, "Write notes");
        assert_eq!(
            titles(&t, &task.id).await,
            [("Write notes".into(), false), ("Tag".into(), false)]
        );

        let done = t
            .store
            .check_subtask(&t.origin, &tag.id, 1, true)
            .await
            .unwrap();
        assert_eq!((done.done, done.version), (true, 2));
        t.store
            .move_subtask(&t.origin, &tag.id, 2, 0)
            .await
            .unwrap();
        t.store
            .rename_subtask(&t.origin, &write.id, 1, "Write the notes")
            .await
            .unwrap();
        assert_eq!(
            titles(&t, &task.id).await,
            [("Tag".into(), true), ("Write the notes".into(), false)]
        );
        t.store.delete_subtask(&t.origin, &tag.id, 3).await.unwrap();
        assert_eq!(
            titles(&t, &task.id).await,
            [("Write the notes".into(), false)]
        );
    }

    #[tokio::test]
    async fn checking_a_checked_subtask_changes_nothing() {
        let t = testing::store().await;
        let task = task(&t).await;
        let item = t
            .store
            .add_subtask(&t.origin, &task.id, "Once")
            .await
            .unwrap();
        let before = t.store.seq().await.unwrap();
        let same = t
            .store
            .check_subtask(&t.origin, &item.id, 1, false)
            .await
            .unwrap();
        assert_eq!(same, item);
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged");
    }

    #[tokio::test]
    async fn bad_titles_stale_versions_and_unknown_tasks_are_refused() {
        let t = testing::store().await;
        let task = task(&t).await;
        let item = t
            .store
            .add_subtask(&t.origin, &task.id, "Item")
            .await
            .unwrap();
        let before = t.store.seq().await.unwrap();
        let err = t
            .store
            .add_subtask(&t.origin, &task.id, "a\u{7}")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "title", .. }));
        let err = t
            .store
            .add_subtask(&t.origin, &TaskId::from("gone"), "x")
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Task,
                ..
            }
        ));
        let err = t
            .store
            .check_subtask(&t.origin, &item.id, 7, true)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict { .. }));
        let err = t
            .store
            .move_subtask(&t.origin, &item.id, 1, -1)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { field: "index", .. }));
        assert_eq!(t.store.seq().await.unwrap(), before, "nothing logged (I4)");
    }
}
