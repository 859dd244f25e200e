//! Projects, their columns and the board snapshot.

use sqlx::SqliteConnection;

use super::{last_seq, now_ms, Store};
use crate::error::{Error, Result};
use crate::model::{
    Board, Column, ColumnId, EntityKind, Label, Origin, Project, ProjectId, Subtask, Task,
    TaskLabel,
};

/// The gap between neighbouring positions. A move lands halfway between two neighbours, so a
/// column takes sixteen moves into the same gap before it needs renumbering.
pub(super) const POSITION_GAP: i64 = 1 << 16;

/// The project and columns a new database starts with.
const INBOX: &str = "Inbox";
const INBOX_COLUMNS: [&str; 3] = ["To do", "Doing", "Done"];

impl Store {
    /// Creates the Inbox project, once per database file, whoever opens it first.
    pub(super) async fn seed(&self, origin: &Origin) -> Result<()> {
        self.write(origin, async |conn: &mut SqliteConnection| {
            let seeded: Option<String> =
                sqlx::query_scalar("SELECT value FROM meta WHERE key = 'seeded'")
                    .fetch_optional(&mut *conn)
                    .await?;
            if seeded.is_some() {
                return Ok(());
            }
            let now = now_ms();
            let project = ProjectId::new();
            sqlx::query(
                "INSERT INTO projects (id, name, position, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .bind(&project)
            .bind(INBOX)
            .bind(POSITION_GAP)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            for (i, name) in (1..).zip(INBOX_COLUMNS) {
                sqlx::query(
                    "INSERT INTO columns (id, project_id, name, position, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )
                .bind(ColumnId::new())
                .bind(&project)
                .bind(name)
                .bind(i * POSITION_GAP)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("INSERT INTO meta (key, value) VALUES ('seeded', ?1)")
                .bind(now.to_string())
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Every project, in the user's order.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        Ok(
            sqlx::query_as("SELECT * FROM projects ORDER BY position, created_at")
                .fetch_all(&self.readers)
                .await?,
        )
    }

    /// A project by id, or else by name (ignoring case), as a user types it on the command line.
    pub async fn find_project(&self, id_or_name: &str) -> Result<Project> {
        sqlx::query_as(
            "SELECT * FROM projects WHERE id = ?1 OR name = ?1 COLLATE NOCASE
             ORDER BY id = ?1 DESC, position LIMIT 1",
        )
        .bind(id_or_name)
        .fetch_optional(&self.readers)
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Project, id_or_name))
    }

    /// The first project in the user's order: where commands go when none is named.
    pub async fn first_project(&self) -> Result<Project> {
        sqlx::query_as("SELECT * FROM projects ORDER BY position, created_at LIMIT 1")
            .fetch_optional(&self.readers)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Project, "(any)"))
    }

    /// A column of `project` by id, or else by name (ignoring case).
    pub async fn find_column(&self, project: &ProjectId, id_or_name: &str) -> Result<Column> {
        sqlx::query_as(
            "SELECT * FROM columns WHERE project_id = ?1 AND (id = ?2 OR name = ?2 COLLATE NOCASE)
             ORDER BY id = ?2 DESC, position LIMIT 1",
        )
        .bind(project)
        .bind(id_or_name)
        .fetch_optional(&self.readers)
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Column, id_or_name))
    }

    /// Everything needed to draw `project`, read in one snapshot, with the log's seq at that
    /// snapshot: a subscriber that starts from this seq misses nothing (I5).
    pub async fn board(&self, project: &ProjectId) -> Result<Board> {
        let mut tx = self.readers.begin().await?;
        // WAL: the first read fixes the snapshot every later read in the transaction sees.
        let seq = last_seq(&mut *tx).await?;
        let project: Project = sqlx::query_as("SELECT * FROM projects WHERE id = ?1")
            .bind(project)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Project, project))?;
        let columns: Vec<Column> =
            sqlx::query_as("SELECT * FROM columns WHERE project_id = ?1 ORDER BY position")
                .bind(&project.id)
                .fetch_all(&mut *tx)
                .await?;
        let tasks: Vec<Task> = sqlx::query_as(
            "SELECT * FROM tasks WHERE project_id = ?1 ORDER BY column_id, position",
        )
        .bind(&project.id)
        .fetch_all(&mut *tx)
        .await?;
        let subtasks: Vec<Subtask> = sqlx::query_as(
            "SELECT s.* FROM subtasks s JOIN tasks t ON t.id = s.task_id
             WHERE t.project_id = ?1 ORDER BY s.task_id, s.position",
        )
        .bind(&project.id)
        .fetch_all(&mut *tx)
        .await?;
        let labels: Vec<Label> =
            sqlx::query_as("SELECT * FROM labels WHERE project_id = ?1 ORDER BY name")
                .bind(&project.id)
                .fetch_all(&mut *tx)
                .await?;
        let task_labels: Vec<TaskLabel> = sqlx::query_as(
            "SELECT tl.* FROM task_labels tl JOIN tasks t ON t.id = tl.task_id
             WHERE t.project_id = ?1",
        )
        .bind(&project.id)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok(Board {
            project,
            columns,
            tasks,
            subtasks,
            labels,
            task_labels,
            seq,
        })
    }
}

/// A column inside a write, or `NotFound`.
pub(super) async fn column(conn: &mut SqliteConnection, id: &ColumnId) -> Result<Column> {
    sqlx::query_as("SELECT * FROM columns WHERE id = ?1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(EntityKind::Column, id))
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use super::*;

    #[tokio::test]
    async fn a_new_database_has_an_inbox_with_three_columns() {
        let t = testing::store().await;
        let projects = t.store.projects().await.unwrap();
        assert_eq!(projects.len(), 1);
        assert_eq!(projects[0].name, "Inbox");
        let board = t.store.board(&projects[0].id).await.unwrap();
        let names: Vec<_> = board.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["To do", "Doing", "Done"]);
        assert!(board.tasks.is_empty());
    }

    #[tokio::test]
    async fn the_seed_is_logged_like_any_other_write() {
        let t = testing::store().await;
        let changes = t.store.changes_since(0, None).await.unwrap().changes;
        assert_eq!(changes.len(), 4, "one project and three columns");
        assert!(changes.iter().all(|c| c.origin.as_ref() == Some(&t.origin)));
        assert_eq!(t.store.seq().await.unwrap(), changes[3].seq);
    }

    #[tokio::test]
    async fn changes_since_covers_the_whole_range_read_even_outside_the_scope() {
        let t = testing::store().await;
        let inbox = t.store.first_project().await.unwrap();
        let start = t.store.seq().await.unwrap();
        let mut conn = t.store.writer.lock().await;
        sqlx::query("INSERT INTO projects VALUES ('other', 'Other', 2, 1, 0, 0)")
            .execute(&mut conn.conn)
            .await
            .unwrap();
        drop(conn);
        let end = t.store.seq().await.unwrap();
        assert_eq!(end, start + 1);

        let scoped = t.store.changes_since(start, Some(&inbox.id)).await.unwrap();
        assert_eq!((scoped.from_seq, scoped.to_seq), (start + 1, end));
        assert!(
            scoped.changes.is_empty(),
            "the other project's change is out of scope"
        );
        let all = t.store.changes_since(start, None).await.unwrap();
        assert_eq!(all.changes.len(), 1);
        let none = t.store.changes_since(end, None).await.unwrap();
        assert_eq!(
            (none.from_seq, none.to_seq, none.changes.len()),
            (end + 1, end, 0)
        );
    }

    #[tokio::test]
    async fn reopening_a_database_does_not_seed_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        let origin = Origin::new("i", crate::model::Actor::Cli);
        drop(Store::open(&path, &origin).await.unwrap());
        let store = Store::open(&path, &origin).await.unwrap();
        assert_eq!(store.projects().await.unwrap().len(), 1);
        assert_eq!(store.changes_since(0, None).await.unwrap().changes.len(), 4);
    }

    #[tokio::test]
    async fn projects_and_columns_are_found_by_name_ignoring_case_or_by_id() {
        let t = testing::store().await;
        let inbox = t.store.find_project("inbox").await.unwrap();
        assert_eq!(t.store.find_project(&inbox.id.0).await.unwrap(), inbox);
        let doing = t.store.find_column(&inbox.id, "DOING").await.unwrap();
        assert_eq!(doing.name, "Doing");
        let err = t.store.find_column(&inbox.id, "Later").await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Column,
                ..
            }
        ));
        let err = t.store.find_project("Nowhere").await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Project,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn an_unknown_project_has_no_board() {
        let t = testing::store().await;
        let err = t.store.board(&ProjectId::from("nope")).await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotFound {
                entity: EntityKind::Project,
                ..
            }
        ));
    }
}
