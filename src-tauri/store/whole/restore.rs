//! Restoring a backup: the whole board replaced by the one a Tandem database file holds.
//!
//! The restore is an ordinary write, not a swap of files: every row of the board is deleted and
//! the backup's rows are inserted in one transaction, which the triggers log like any other. So
//! the log's seq only ever grows, every window (of any copy of Tandem, on a file or a server)
//! receives the restore as one batch and shows the backup's board, and the history before the
//! restore stays readable. A row that comes back takes a version past both its backup's and the
//! one it had, so an edit or undo based on what a window showed before is a conflict.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::Origin;
use crate::store::sql::sqlite;
use crate::store::sql::{query, Conn};
use crate::store::whole::check::{check, Found};
use crate::store::whole::copy::{refused_rows, Board};
use crate::store::Store;

/// The board's tables, children first: the order to empty them in.
const CHILDREN_FIRST: [&str; 8] = [
    "comments",
    "task_assignees",
    "task_labels",
    "subtasks",
    "tasks",
    "labels",
    "columns",
    "projects",
];

/// The tables whose rows carry a version.
const VERSIONED: [&str; 6] = [
    "projects", "columns", "tasks", "subtasks", "labels", "comments",
];

/// What a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Restored {
    pub projects: usize,
    pub cards: usize,
    /// The copy of the board as it was before the restore.
    pub kept: PathBuf,
}

/// A copy of the backup taken for the restore to read (and bring up to date), removed with its
/// companions when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.0.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

impl Store {
    /// Replaces the whole board with the one in the Tandem database file `from`, after copying
    /// the board as it is to `keep` (which must not exist). A file that is not a Tandem database,
    /// or holds no board, is refused and nothing changes. `progress` hears `(done, total)` rows.
    pub async fn restore_backup(
        &self,
        origin: &Origin,
        from: &Path,
        keep: &Path,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Restored> {
        let refuse = |reason: &str| {
            Error::invalid(
                "file",
                format!("nothing was restored: {} {reason}", from.display()),
            )
        };
        match check(&Location::File(from.to_owned())).await {
            Ok(Found::Board { .. }) => {}
            Ok(Found::NewFile) => return Err(refuse("does not exist")),
            Ok(Found::Empty) => return Err(refuse("is an empty database, not a backup")),
            Err(Error::Invalid { reason, .. }) => {
                return Err(Error::invalid(
                    "file",
                    format!("nothing was restored: {reason}"),
                ))
            }
            Err(e) => return Err(e),
        }
        let board = read_backup(from).await?;
        if board.projects.is_empty() {
            return Err(refuse("holds no project"));
        }

        self.backup(keep, |_, _| {}).await?;

        let total = board.board_rows();
        let (restored, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let mut versions: HashMap<String, i64> = HashMap::new();
                for table in VERSIONED {
                    let rows: Vec<(String, i64)> =
                        query(format!("SELECT id, version FROM {table}"))
                            .fetch_all(&mut *conn)
                            .await?;
                    versions.extend(rows);
                }
                for table in CHILDREN_FIRST {
                    query(format!("DELETE FROM {table}"))
                        .execute(&mut *conn)
                        .await?;
                }
                let mut done = 0;
                let mut step = || {
                    done += 1;
                    if done % 5_000 == 0 || done == total {
                        progress(done, total);
                    }
                };
                let version = |id: &str, backup: i64| {
                    versions
                        .get(id)
                        .map_or(backup, |&before| before.max(backup) + 1)
                };
                board.insert_rows(conn, &mut step, version).await?;
                Ok(Restored {
                    projects: board.projects.len(),
                    cards: board.tasks.len(),
                    kept: keep.to_owned(),
                })
            })
            .await
            .map_err(|e| {
                let from = Location::File(from.to_owned());
                refused_rows(e, &from, &self.location)
            })?;
        Ok(restored)
    }
}

/// The board in the backup at `from`, read from a copy taken in one snapshot and brought up to
/// this version's schema: the backup itself is never written.
async fn read_backup(from: &Path) -> Result<Board> {
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "tandem-restore-{}.db",
        uuid::Uuid::now_v7().simple()
    )));
    let unreadable = |e: rusqlite::Error| {
        Error::invalid(
            "file",
            format!(
                "nothing was restored: {} cannot be read: {e}",
                from.display()
            ),
        )
    };
    {
        let source =
            rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(unreadable)?;
        source
            .execute("VACUUM INTO ?1", [scratch.0.to_string_lossy()])
            .map_err(unreadable)?;
    }
    let (_, pool) = sqlite::open(&scratch.0).await?;
    let mut snapshot = pool.snapshot().await?;
    let board = Board::read(&mut snapshot.conn(), false).await?;
    snapshot.rollback().await?;
    Ok(board)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::debounce::DEFAULT_WINDOW;
    use crate::export::Export;
    use crate::model::{Batch, Op};
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;
    use crate::subscription;

    async fn add(store: &Store, origin: &Origin, title: &str) -> crate::model::Task {
        let new = NewTask {
            project_id: store.first_project().await.unwrap().id,
            column_id: None,
            title: title.into(),
        };
        store.create_task(origin, new).await.unwrap()
    }

    /// What a user relies on, alike on a file and on a server: the backup's board comes back
    /// whole (archived cards, checklists and labels too) while a window is open, the window
    /// receives it as one batch, the log goes on growing, and the board as it was is kept.
    async fn a_restored_backup_replaces_the_board_and_keeps_the_old_one(test: TestStore) {
        let (store, origin) = (Arc::new(test.store), test.origin);
        let dir = tempfile::tempdir().unwrap();
        let ship = add(&store, &origin, "Ship").await;
        store.add_subtask(&origin, &ship.id, "Draft").await.unwrap();
        let inbox = store.first_project().await.unwrap().id;
        let bug = store
            .create_label(&origin, &inbox, "Bug", "#ff0000")
            .await
            .unwrap();
        store
            .add_task_label(&origin, &ship.id, &bug.id)
            .await
            .unwrap();
        let plan = add(&store, &origin, "Plan").await;
        store
            .set_archived(&origin, &[(plan.id.clone(), plan.version)], true)
            .await
            .unwrap();
        let backup = dir.path().join("backup.db");
        store.backup(&backup, |_, _| {}).await.unwrap();
        let backed_up = Export::read(&store, None).await.unwrap();

        // Changed since: a rename, a deletion, a new card and a new project.
        let ship = store.task(&ship.id).await.unwrap();
        store
            .rename_task(&origin, &ship.id, ship.version, "Shipped")
            .await
            .unwrap();
        let plan = store.task(&plan.id).await.unwrap();
        store
            .delete_task(&origin, &plan.id, plan.version)
            .await
            .unwrap();
        add(&store, &origin, "Newer card").await;
        store.create_project(&origin, "Garden").await.unwrap();
        let changed = Export::read(&store, None).await.unwrap();
        let renamed = store.task(&ship.id).await.unwrap();

        let (sent, mut batches) = tokio::sync::mpsc::unbounded_channel::<Batch>();
        let (_, _subscription) =
            subscription::subscribe(store.clone(), inbox.clone(), DEFAULT_WINDOW, move |b| {
                sent.send(b).is_ok()
            })
            .await
            .unwrap();
        let seq = store.seq().await.unwrap();
        let kept = dir.path().join("kept.db");
        let restored = store
            .restore_backup(&origin, &backup, &kept, |_, _| {})
            .await
            .unwrap();
        assert_eq!((restored.projects, restored.cards), (1, 2));

        assert_eq!(Export::read(&store, None).await.unwrap(), backed_up);
        let back = store.task(&ship.id).await.unwrap();
        assert_eq!(back.title, "Ship");
        assert!(
            back.version > renamed.version,
            "an edit based on the renamed card is a conflict"
        );
        assert_eq!(store.subtasks(&ship.id).await.unwrap().len(), 1);
        assert_eq!(store.archived_tasks(None).await.unwrap().len(), 1);

        let end = store.seq().await.unwrap();
        assert!(end > seq, "the log goes on");
        let batch = tokio::time::timeout(std::time::Duration::from_secs(10), batches.recv())
            .await
            .expect("a batch within the deadline")
            .unwrap();
        assert_eq!(batch.to_seq, end, "the whole restore in one batch");
        assert!(batch.changes.iter().any(|c| c.op == Op::Delete));

        // The board as it was before the restore is in the kept copy.
        let before = Store::open(&kept, &origin).await.unwrap();
        assert_eq!(Export::read(&before, None).await.unwrap(), changed);
    }

    #[tokio::test]
    async fn a_restored_backup_replaces_the_board_and_keeps_the_old_one_in_a_file() {
        a_restored_backup_replaces_the_board_and_keeps_the_old_one(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_restored_backup_replaces_the_board_and_keeps_the_old_one_on_a_server() {
        a_restored_backup_replaces_the_board_and_keeps_the_old_one(testing::server_store().await)
            .await;
    }

    /// Files that are no Tandem backup are refused by name and why; nothing is written, not
    /// even the copy of the board.
    #[tokio::test]
    async fn what_is_not_a_tandem_backup_is_refused_and_changes_nothing() {
        let test = testing::store().await;
        let (store, origin) = (&test.store, &test.origin);
        add(store, origin, "Keep me").await;
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("photos.db");
        rusqlite::Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
            .unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database at all, just some words").unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, "").unwrap();
        let cases = [
            (foreign.clone(), "another program"),
            (text, "not an SQLite database"),
            (empty, "empty"),
            (dir.path().join("missing.db"), "does not exist"),
            (dir.path().to_owned(), "a folder"),
        ];
        let seq = store.seq().await.unwrap();
        for (file, why) in cases {
            let kept = dir.path().join("kept.db");
            let err = store
                .restore_backup(origin, &file, &kept, |_, _| {})
                .await
                .unwrap_err();
            let said = err.to_string();
            assert!(
                said.contains("nothing was restored") && said.contains(why),
                "{file:?}: {said}"
            );
            assert!(!kept.exists(), "no copy made for {file:?}");
        }
        assert_eq!(store.seq().await.unwrap(), seq);
        let untouched = rusqlite::Connection::open(&foreign).unwrap();
        let tables: i64 = untouched
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "the other program's file is left as it was");
    }
}
