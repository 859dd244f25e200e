//! Checkpoints a file's WAL on a thread of its own, off the write path.
//!
//! In WAL mode every commit appends its pages to the WAL, and SQLite copies them back into the
//! database file (a checkpoint, two fsyncs) once the WAL holds `wal_autocheckpoint` pages: by
//! default inside the commit that crossed the line. With the log's and the search index's
//! pages, that was every hundredth write or so, and it made the write path's p99.
//!
//! So the writer's own checkpoint is pushed back to [`INLINE_BOUND`] pages, and this thread
//! copies the WAL back in the background, a little after writes happen ([`DELAY`]): under any
//! ordinary load it keeps up, the WAL starts over after each burst, and the inline checkpoint
//! never runs. Under writes that never pause it cannot restart the WAL (a passive checkpoint
//! never catches a moving end), and the inline checkpoint, with little left to copy, bounds it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::OnceLock;
use std::time::Duration;

/// The WAL's size, in pages, at which a commit checkpoints it itself: the bound when the
/// background checkpoints cannot keep up (about 40 MB of WAL).
pub(in crate::store) const INLINE_BOUND: u32 = 10_000;

/// How long after a commit the thread checkpoints: writes within it share one checkpoint.
const DELAY: Duration = Duration::from_millis(50);

/// Wakes the checkpointing thread after commits; started by the first.
pub(in crate::store) struct Checkpointer {
    path: PathBuf,
    wake: OnceLock<SyncSender<()>>,
}

impl Checkpointer {
    pub(in crate::store) fn new(path: &Path) -> Checkpointer {
        Checkpointer {
            path: path.to_owned(),
            wake: OnceLock::new(),
        }
    }

    /// Leaves checkpoints to the close, for a process that writes a little and then closes the
    /// file (a command line call): starting the thread and its connection cost it more than the
    /// checkpoint does, and it would end before the thread's first one.
    pub(in crate::store) fn at_close_only(&self) {
        let (no_thread, _) = sync_channel(0);
        let _ = self.wake.set(no_thread);
    }

    /// Says the WAL grew. Costs nothing while a checkpoint is already due. The thread ends when
    /// the checkpointer is dropped with its store.
    pub(in crate::store) fn wake(&self) {
        let wake = self.wake.get_or_init(|| spawn(self.path.clone()));
        // Full: a checkpoint is due already. Disconnected: no thread, and the inline bound holds.
        let _ = wake.try_send(());
    }
}

fn spawn(path: PathBuf) -> SyncSender<()> {
    let (wake, woken) = sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("tandem-checkpoint".into())
        .spawn(move || run(&path, &woken));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpoint thread: commits will checkpoint the WAL");
    }
    wake
}

fn run(path: &Path, woken: &Receiver<()>) {
    let conn = match rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "the checkpoint thread cannot open the database");
            return;
        }
    };
    while woken.recv().is_ok() {
        // Commits keep coming for a moment: let them gather, then copy them all at once.
        std::thread::sleep(DELAY);
        let _ = woken.try_recv();
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
        });
        match done {
            Ok((wal, copied)) => tracing::trace!(wal, copied, "checkpointed"),
            Err(e) => tracing::debug!(error = %e, "checkpoint failed; the next one retries"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::config::Location;
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;

    /// The tasks the database file itself holds, not counting what waits in its WAL: read
    /// from a copy of the file alone.
    fn tasks_in_the_file(path: &std::path::Path) -> i64 {
        let copy = tempfile::tempdir().unwrap();
        let alone = copy.path().join("alone.db");
        std::fs::copy(path, &alone).unwrap();
        let conn = rusqlite::Connection::open(&alone).unwrap();
        // Not even the schema may be in it yet.
        conn.query_row("SELECT count(*) FROM tasks", [], |row| row.get(0))
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn commits_reach_the_database_file_soon_after_without_the_writer_copying_them() {
        // Kept whole: its folder goes with it.
        let test = testing::store().await;
        let TestStore { store, origin, .. } = &test;
        let Location::File(path) = store.location().clone() else {
            unreachable!("a file store")
        };
        let project = store.first_project().await.unwrap().id;
        for i in 0..50 {
            let new = NewTask {
                project_id: project.clone(),
                column_id: None,
                title: format!("Card {i}"),
            };
            store.create_task(origin, new).await.unwrap();
        }
        // Far fewer pages than the writer's own checkpoint waits for: only the thread copies
        // them into the file.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while tasks_in_the_file(&path) < 50 {
            assert!(Instant::now() < deadline, "the WAL was never checkpointed");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(store.tasks(&project).await.unwrap().len(), 50);
    }
}
