//! The SQLite database: connections, migrations, the write path and the change log.
//!
//! Owns every SQL statement. Every write is one `BEGIN IMMEDIATE` transaction: it validates,
//! applies, lets the triggers append the change rows (I1), stamps them with its origin, commits,
//! and publishes them on the bus before the next writer of this process may start, so the bus
//! carries changes in seq order. A write that fails rolls back whole: nothing written, nothing
//! logged (I4). It must never hold its transaction across an await on another task.

mod board;
mod edit;
mod label;
mod position;
#[cfg(test)]
mod replay_tests;
mod restore;
mod subtask;
mod task;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Sqlite, Transaction};
use tokio::sync::Mutex;

pub use board::ColumnEdit;
pub use task::{NewTask, Step, TaskEdit};

use crate::bus::{Bus, Committed};
use crate::error::{Error, Result};
use crate::model::{
    Batch, Change, Column, Entity, EntityKind, Label, Origin, Project, ProjectId, Subtask, Task,
    TaskId,
};

/// How long a write waits for another process's write to finish before giving up. Long enough
/// for any burst Tandem makes; short enough that a stuck writer surfaces as an error, not a hang.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The change log's columns, in [`ChangeRow`]'s order.
macro_rules! change_columns {
    () => {
        "seq, op, entity, entity_id, project_id, data, previous, origin, at"
    };
}

/// How long the watcher for other programs' changes waits after a failure before trying again.
const WATCH_RETRY: Duration = Duration::from_secs(1);

/// Readers in the pool. WAL lets them read beside the writer; two cover a window's snapshot
/// while the log is read for another.
const READERS: u32 = 4;

/// The migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src-tauri/migrations");

pub struct Store {
    /// Connections for reads; they never write.
    readers: SqlitePool,
    /// The one connection this process writes through, and how far the bus has been fed. The
    /// lock serialises this process's writers first-come first-served (so they never spin in
    /// SQLite's busy handler against each other) and is held until a commit is published, which
    /// keeps the bus in seq order.
    writer: Mutex<Writer>,
    /// Where committed changes go.
    bus: Bus,
    /// How to open the connection that watches for other processes' commits.
    watch_options: SqliteConnectOptions,
}

/// The writing end of the store.
struct Writer {
    conn: SqliteConnection,
    /// The last seq put on the bus: every change up to it has been published, in order, once.
    published_to: i64,
}

/// A write in progress: the transaction and the log's last seq before it began.
struct Write<'c> {
    tx: Transaction<'c, Sqlite>,
    start: i64,
}

impl Store {
    /// Opens (creating if need be) the database at `path`, brings its schema up to date and, for
    /// a new database, creates the Inbox project.
    pub async fn open(path: &Path, origin: &Origin) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                tracing::error!(dir = %dir.display(), error = %e, "cannot create the data folder");
                Error::Storage(sqlx::Error::Io(e))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL is durable against application crashes and only a power loss can
            // lose the last commits; it keeps an fsync off every write.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let watch_options = options.clone();

        let mut conn = SqliteConnection::connect_with(&options).await?;
        migrate(&mut conn).await?;
        let published_to = last_seq(&mut conn).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await?;

        let store = Store {
            readers,
            watch_options,
            writer: Mutex::new(Writer { conn, published_to }),
            bus: Bus::new(),
        };
        store.seed(origin).await?;
        Ok(store)
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The log's last seq.
    pub async fn seq(&self) -> Result<i64> {
        Ok(last_seq(&self.readers).await?)
    }

    /// The changes after `seq` up to the log's end, in order, only those of `project` when
    /// given, read in one snapshot: the batch's range says how far the log was read, whatever
    /// the scope left out.
    pub async fn changes_since(&self, seq: i64, project: Option<&ProjectId>) -> Result<Batch> {
        let mut tx = self.readers.begin().await?;
        let to_seq = last_seq(&mut *tx).await?;
        let rows: Vec<ChangeRow> = sqlx::query_as(concat!(
            "SELECT ",
            change_columns!(),
            " FROM changes
                 WHERE seq > ?1 AND seq <= ?2 AND (?3 IS NULL OR project_id = ?3)
                 ORDER BY seq"
        ))
        .bind(seq)
        .bind(to_seq)
        .bind(project)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok(Batch {
            from_seq: seq + 1,
            to_seq: to_seq.max(seq),
            changes: rows
                .into_iter()
                .map(Change::try_from)
                .collect::<Result<_>>()?,
        })
    }

    /// Runs `apply` in one write transaction on behalf of `origin`, then commits and publishes
    /// the changes it made. Returns what `apply` returned and the committed changes.
    async fn write<T>(
        &self,
        origin: &Origin,
        apply: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T>,
    ) -> Result<(T, Committed)> {
        let mut writer = self.writer.lock().await;
        let Writer { conn, published_to } = &mut *writer;
        let mut write = Write::begin(conn).await?;
        // Other processes committed since the bus was last fed: their changes go first.
        let earlier = if write.start > *published_to {
            changes_between(&mut write.tx, *published_to, write.start).await?
        } else {
            Vec::new()
        };
        let value = apply(&mut write.tx).await?;
        let start = write.start;
        let committed = write.commit(origin).await?;
        if !earlier.is_empty() {
            self.bus.publish(earlier.into());
        }
        if !committed.is_empty() {
            self.bus.publish(committed.clone());
        }
        *published_to = committed.last().map_or(start, |c| c.seq);
        Ok((value, committed))
    }

    /// A task's timeline from the change log, oldest first: the task's own changes, its
    /// subtasks' and its labels', whoever made them (each change's origin says which window,
    /// instance or program) and when. A task that never existed is `NotFound`; a deleted one
    /// still has its history.
    pub async fn task_history(&self, task: &TaskId) -> Result<Vec<Change>> {
        let rows: Vec<ChangeRow> = sqlx::query_as(concat!(
            "SELECT ",
            change_columns!(),
            " FROM changes
             WHERE (entity = 'task' AND entity_id = ?1)
                OR (entity = 'task_label' AND substr(entity_id, 1, length(?1) + 1) = ?1 || ':')
                OR (entity = 'subtask' AND ?1 IN (data ->> '$.task_id', previous ->> '$.task_id'))
             ORDER BY seq"
        ))
        .bind(task)
        .fetch_all(&self.readers)
        .await?;
        if rows.is_empty() {
            return Err(Error::not_found(EntityKind::Task, task));
        }
        rows.into_iter().map(Change::try_from).collect()
    }

    /// Publishes whatever the log holds past what the bus has carried: other processes'
    /// commits. Returns how many changes it published.
    pub async fn catch_up(&self) -> Result<usize> {
        let mut writer = self.writer.lock().await;
        let Writer { conn, published_to } = &mut *writer;
        let changes = changes_between(&mut *conn, *published_to, i64::MAX).await?;
        Ok(self.publish_to(published_to, changes))
    }

    /// Takes in a batch another instance committed (relayed by the hub). When it carries every
    /// change after what the bus has carried, up to its end, it is published as is; otherwise
    /// (changes coalesced away, or others' commits it does not hold) the log fills in. Either
    /// way the bus gets each change once, in seq order. Returns how many changes it published.
    pub async fn receive(&self, batch: &Batch) -> Result<usize> {
        let mut writer = self.writer.lock().await;
        let Writer { conn, published_to } = &mut *writer;
        if batch.to_seq <= *published_to {
            return Ok(0);
        }
        let fresh: Vec<&Change> = batch
            .changes
            .iter()
            .filter(|c| c.seq > *published_to)
            .collect();
        let complete = fresh.last().is_some_and(|c| c.seq == batch.to_seq)
            && fresh
                .iter()
                .zip(*published_to + 1..)
                .all(|(c, seq)| c.seq == seq);
        let changes: Vec<Change> = if complete {
            fresh.into_iter().cloned().collect()
        } else {
            changes_between(&mut *conn, *published_to, i64::MAX).await?
        };
        Ok(self.publish_to(published_to, changes))
    }

    /// Publishes `changes` (which follow `published_to`) and moves the mark past them.
    fn publish_to(&self, published_to: &mut i64, changes: Vec<Change>) -> usize {
        let Some(last) = changes.last() else {
            return 0;
        };
        *published_to = last.seq;
        let count = changes.len();
        self.bus.publish(changes.into());
        count
    }

    /// Watches the database file for commits by other processes (the CLI, the sqlite3 shell, a
    /// sync tool) and publishes them, until `shutdown` completes. `PRAGMA data_version` on a
    /// connection of its own changes only when another connection commits, so a poll costs
    /// one tiny query and reads no rows while nothing happens.
    ///
    /// A failure (the file briefly locked, the disk full) is logged and retried after
    /// [`WATCH_RETRY`]: windows must not stop hearing of other programs' changes for good.
    pub async fn watch_other_writers(
        &self,
        every: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                result = self.watch_until_error(every) => {
                    let Err(e) = result;
                    tracing::warn!(error = %e, "watching for other programs' changes failed; retrying");
                }
            }
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(WATCH_RETRY) => {}
            }
        }
    }

    async fn watch_until_error(&self, every: Duration) -> Result<std::convert::Infallible> {
        let mut conn = SqliteConnection::connect_with(&self.watch_options).await?;
        let mut seen: i64 = data_version(&mut conn).await?;
        // Commits made before that first reading would never change it: publish them now.
        self.catch_up().await?;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let version = data_version(&mut conn).await?;
            if version != seen {
                seen = version;
                self.catch_up().await?;
            }
        }
    }
}

async fn data_version(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(conn)
        .await
}

/// The changes with `after < seq <= upto`, in order.
async fn changes_between(
    conn: &mut SqliteConnection,
    after: i64,
    upto: i64,
) -> Result<Vec<Change>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(concat!(
        "SELECT ",
        change_columns!(),
        " FROM changes WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"
    ))
    .bind(after)
    .bind(upto)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Change::try_from).collect()
}

impl<'c> Write<'c> {
    async fn begin(conn: &'c mut SqliteConnection) -> Result<Self> {
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        // writes can fail with SQLITE_BUSY without waiting when another process writes first.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let start = last_seq(&mut *tx).await?;
        Ok(Write { tx, start })
    }

    /// Stamps the transaction's change rows with `origin`, reads them back and commits.
    async fn commit(mut self, origin: &Origin) -> Result<Committed> {
        let origin = serde_json::to_string(origin).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an origin");
            Error::Storage(sqlx::Error::Encode(Box::new(e)))
        })?;
        let mut rows: Vec<ChangeRow> = sqlx::query_as(concat!(
            "UPDATE changes SET origin = ?1 WHERE seq > ?2 RETURNING ",
            change_columns!()
        ))
        .bind(origin)
        .bind(self.start)
        .fetch_all(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        // RETURNING gives rows in no promised order.
        rows.sort_unstable_by_key(|row| row.seq);
        rows.into_iter().map(Change::try_from).collect()
    }
}

async fn last_seq<'e>(executor: impl sqlx::SqliteExecutor<'e>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .fetch_one(executor)
        .await
}

/// Applies the embedded migrations. Two processes opening a new file at once may race; the
/// loser finds the work done on its next try.
async fn migrate(conn: &mut SqliteConnection) -> Result<()> {
    let mut tries = 0;
    loop {
        match MIGRATOR.run(&mut *conn).await {
            Ok(()) => return Ok(()),
            Err(e) if tries < 3 => {
                tracing::warn!(error = %e, "migration failed, trying again");
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A `changes` row as stored.
#[derive(sqlx::FromRow)]
struct ChangeRow {
    seq: i64,
    op: crate::model::Op,
    entity: crate::model::EntityKind,
    entity_id: String,
    project_id: Option<ProjectId>,
    data: Option<String>,
    previous: Option<String>,
    origin: Option<String>,
    at: i64,
}

impl TryFrom<ChangeRow> for Change {
    type Error = Error;

    fn try_from(row: ChangeRow) -> Result<Change> {
        let json = |text: Option<String>| -> Result<Option<Box<serde_json::value::RawValue>>> {
            text.map(serde_json::value::RawValue::from_string)
                .transpose()
                .map_err(|e| corrupt_log(row.seq, e))
        };
        Ok(Change {
            seq: row.seq,
            op: row.op,
            entity: row.entity,
            entity_id: row.entity_id,
            project_id: row.project_id,
            data: json(row.data)?,
            previous: json(row.previous)?,
            // Another program may record its own kind of origin: that is "not Tandem", not an
            // error that would stop the stream.
            origin: row.origin.as_deref().and_then(|text| {
                serde_json::from_str(text)
                    .inspect_err(|e| {
                        tracing::warn!(seq = row.seq, error = %e, "an origin Tandem does not know");
                    })
                    .ok()
            }),
            at: row.at,
        })
    }
}

fn corrupt_log(seq: i64, error: serde_json::Error) -> Error {
    tracing::error!(seq, error = %error, "the change log holds a row that is not valid JSON");
    Error::Storage(sqlx::Error::Decode(Box::new(error)))
}

/// A row a caller must have seen at its current version to change it (optimistic concurrency).
pub(super) trait Versioned:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin
{
    const TABLE: &'static str;
    const KIND: EntityKind;
    fn version(&self) -> i64;
    fn into_entity(self) -> Entity;
}

macro_rules! versioned {
    ($($ty:ident => $table:literal),* $(,)?) => {$(
        impl Versioned for $ty {
            const TABLE: &'static str = $table;
            const KIND: EntityKind = EntityKind::$ty;
            fn version(&self) -> i64 {
                self.version
            }
            fn into_entity(self) -> Entity {
                Entity::$ty(self)
            }
        }
    )*};
}

versioned!(
    Project => "projects",
    Column => "columns",
    Task => "tasks",
    Subtask => "subtasks",
    Label => "labels",
);

/// The row `id` of `T`'s table, if the caller saw its current version; else `NotFound`, or
/// `Conflict` with the row as it is now.
pub(super) async fn at_version<T: Versioned>(
    conn: &mut SqliteConnection,
    id: &str,
    expected_version: i64,
) -> Result<T> {
    let row: T = sqlx::query_as(&format!("SELECT * FROM {} WHERE id = ?1", T::TABLE))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found(T::KIND, id))?;
    if row.version() != expected_version {
        return Err(Error::Conflict {
            current: Box::new(row.into_entity()),
        });
    }
    Ok(row)
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Shared by all tests of the store: a database in a temporary folder.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::model::Actor;

    pub struct TestStore {
        pub store: Store,
        pub origin: Origin,
        dir: tempfile::TempDir,
    }

    impl TestStore {
        /// The database file.
        pub fn path(&self) -> std::path::PathBuf {
            self.dir.path().join("tandem.db")
        }
    }

    pub async fn store() -> TestStore {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let origin = Origin::new("test-instance", Actor::Gui);
        let store = Store::open(&dir.path().join("tandem.db"), &origin)
            .await
            .expect("a new store opens");
        TestStore { store, origin, dir }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::Actor;
    use crate::store::NewTask;

    /// Two stores on one file: as two processes would share it.
    async fn two_processes() -> (tempfile::TempDir, Arc<Store>, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        let here = Store::open(&path, &Origin::new("here", Actor::Gui))
            .await
            .unwrap();
        let there = Store::open(&path, &Origin::new("there", Actor::Cli))
            .await
            .unwrap();
        (dir, Arc::new(here), there)
    }

    async fn add(store: &Store, instance: &str, title: &str) -> i64 {
        let project = store.first_project().await.unwrap().id;
        let origin = Origin::new(instance, Actor::Cli);
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: title.into(),
        };
        store.create_task(&origin, new).await.unwrap();
        store.seq().await.unwrap()
    }

    #[tokio::test]
    async fn other_processes_commits_are_published_before_a_local_write_in_seq_order() {
        let (_dir, here, there) = two_processes().await;
        let mut bus = here.bus().subscribe();
        let theirs = add(&there, "there", "Theirs").await;
        let ours = add(&here, "here", "Ours").await;
        assert_eq!(ours, theirs + 1);

        let first = bus.recv().await.unwrap();
        let second = bus.recv().await.unwrap();
        assert_eq!(first.last().unwrap().seq, theirs);
        assert_eq!(
            first.last().unwrap().origin.as_ref().unwrap().instance,
            "there"
        );
        assert_eq!(second[0].seq, ours);
        assert!(bus.try_recv().is_err(), "nothing twice");
    }

    #[tokio::test]
    async fn catch_up_publishes_what_the_bus_has_not_carried_once() {
        let (_dir, here, there) = two_processes().await;
        let mut bus = here.bus().subscribe();
        let theirs = add(&there, "there", "Theirs").await;
        assert_eq!(here.catch_up().await.unwrap(), 1);
        assert_eq!(here.catch_up().await.unwrap(), 0);
        assert_eq!(bus.recv().await.unwrap()[0].seq, theirs);
        assert!(bus.try_recv().is_err());
    }

    #[tokio::test]
    async fn the_watcher_publishes_commits_by_other_processes() {
        let (_dir, here, there) = two_processes().await;
        let mut bus = here.bus().subscribe();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let watcher = tokio::spawn({
            let here = here.clone();
            async move {
                here.watch_other_writers(Duration::from_millis(5), async {
                    let _ = stopped.await;
                })
                .await
            }
        });
        let theirs = add(&there, "there", "Theirs").await;
        let committed = tokio::time::timeout(Duration::from_secs(10), bus.recv())
            .await
            .expect("the watcher publishes within the deadline")
            .unwrap();
        assert_eq!(committed.last().unwrap().seq, theirs);
        drop(stop);
        watcher.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn the_log_refuses_rows_that_are_not_json_from_any_writer() {
        let (_dir, here, _there) = two_processes().await;
        let before = here.seq().await.unwrap();
        let mut writer = here.writer.lock().await;
        for bad in [
            "INSERT INTO changes (op, entity, entity_id, data) VALUES ('update', 'task', 'x', '{oops')",
            "INSERT INTO changes (op, entity, entity_id, origin) VALUES ('update', 'task', 'x', 'me')",
            "UPDATE changes SET previous = 'not json' WHERE seq = 1",
        ] {
            let err = sqlx::query(bad).execute(&mut writer.conn).await.unwrap_err();
            assert!(err.to_string().contains("must be valid JSON"), "{bad}: {err}");
        }
        drop(writer);
        assert_eq!(here.seq().await.unwrap(), before);
    }

    #[tokio::test]
    async fn an_origin_of_another_programs_shape_reads_as_no_origin() {
        let (_dir, here, _there) = two_processes().await;
        let mut writer = here.writer.lock().await;
        sqlx::query(
            "INSERT INTO changes (op, entity, entity_id, origin)
             VALUES ('update', 'task', 'x', '{\"tool\": \"sync\"}')",
        )
        .execute(&mut writer.conn)
        .await
        .unwrap();
        drop(writer);
        let log = here.changes_since(0, None).await.unwrap().changes;
        let last = log.last().unwrap();
        assert_eq!(last.entity_id, "x");
        assert_eq!(last.origin, None);
    }
}
