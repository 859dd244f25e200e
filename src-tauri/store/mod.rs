//! The database, a file (SQLite) or a server (PostgreSQL): connections, migrations, the write
//! path and the change log.
//!
//! Owns every SQL statement. The rules (validation, versions, positions, restore) are written
//! once against [`sql::Conn`]; what must differ between the two databases lives in `sqlite.rs`
//! and `postgres.rs`. Every write is one transaction that takes the log's write lock first
//! (`BEGIN IMMEDIATE` on a file, the `log_head` row on a server): it validates, applies, lets the
//! triggers append the change rows (I1), stamps them with its origin, commits, and publishes
//! them on the bus before the next writer of this process may start, so the bus carries changes
//! in seq order. A write that fails rolls back whole: nothing written, nothing logged (I4). It
//! must never hold its transaction across an await on another task.

mod board;
mod check;
mod copy;
mod edit;
mod label;
mod position;
mod postgres;
#[cfg(test)]
mod replay_tests;
mod restore;
#[cfg(all(test, unix))]
mod server_tests;
mod sql;
mod sqlite;
mod subtask;
mod task;

use std::time::Duration;

use tokio::sync::Mutex;

pub use board::ColumnEdit;
pub use check::{check, Found};
pub use copy::{copy, Copied};
pub use sql::Dialect;
pub use task::{NewTask, Step, TaskEdit};

use crate::bus::{Bus, Committed};
use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{
    Batch, Change, Column, DatabaseStatus, Entity, EntityKind, Label, Origin, Project, ProjectId,
    Subtask, Task, TaskId,
};
use sql::{query, Conn, Pool};

/// How long a server may take to answer [`Store::ping`] before it counts as offline: with a
/// ping every second, a window says so within two.
const PING_LIMIT: Duration = Duration::from_secs(1);

/// How many reads from the log a hub may fall behind relaying before it tells its peers to
/// read the log themselves. Each read is a whole burst's worth of changes.
const FROM_LOG_CAPACITY: usize = 256;

pub struct Store {
    /// Connections for reads; they never write.
    readers: Pool,
    /// The one connection this process writes through, and how far the bus has been fed. The
    /// lock serialises this process's writers first-come first-served (so they never queue in
    /// the database against each other) and is held until a commit is published, which keeps
    /// the bus in seq order.
    writer: Mutex<Writer>,
    /// Where committed changes go.
    bus: Bus,
    /// The part of what the bus carried that was read from the log: other programs' and other
    /// machines' commits, and whatever a relay did not bring. A hub relays it to its peers.
    from_log: Bus,
    /// Where the database is, for the watcher's own connection.
    location: Location,
}

/// The writing end of the store.
struct Writer {
    /// `None` after a server connection was lost: the next write connects again.
    conn: Option<sql::Connection>,
    /// The last seq put on the bus: every change up to it has been published, in order, once.
    published_to: i64,
}

impl Store {
    /// Opens the database at `location`, creating a file if need be, brings its schema up to
    /// date and, for a new database, creates the Inbox project. A file or server database that
    /// holds someone else's tables is refused untouched.
    pub async fn open(location: impl Into<Location>, origin: &Origin) -> Result<Store> {
        let location = location.into();
        let (mut conn, readers) = match &location {
            Location::File(path) => sqlite::open(path).await?,
            Location::Server(url) => postgres::open(url).await?,
        };
        let published_to = last_seq(&mut conn.conn()).await?;
        let store = Store {
            readers,
            writer: Mutex::new(Writer {
                conn: Some(conn),
                published_to,
            }),
            bus: Bus::new(),
            from_log: Bus::with_capacity(FROM_LOG_CAPACITY),
            location,
        };
        store.seed(origin).await?;
        Ok(store)
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Whether the board was made (the Inbox seeded).
    async fn seeded(&self) -> Result<bool> {
        let seeded: Option<(String,)> = self
            .lookup(query("SELECT value FROM meta WHERE key = 'seeded'"))
            .await?;
        Ok(seeded.is_some())
    }

    /// A one-row read on the writer's connection, outside any transaction: the lookups a
    /// command makes before it writes (the project, the column, the task it names), so a
    /// process that writes once opens one connection, not two.
    async fn lookup<T: sql::Row>(&self, query: sql::Query) -> Result<Option<T>> {
        let mut writer = self.writer.lock().await;
        let read = async {
            let (conn, _) = self.connected(&mut writer).await?;
            query.fetch_optional(&mut conn.conn()).await
        };
        let found = read.await;
        self.settle(&mut writer, found)
    }

    /// Closes the database cleanly before the process ends; the store writes no more. On a
    /// file this checkpoints the WAL when no other process has the file open: a process that
    /// just exits leaves it for the next one to replay, page by page.
    pub async fn close(&self) {
        self.readers.close().await;
        if let Some(conn) = self.writer.lock().await.conn.take() {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "the database did not close cleanly");
            }
        }
    }

    /// What this store publishes after reading it from the log rather than taking it from its
    /// own writes or a relayed batch; each a complete run of seqs following what the bus had
    /// carried. Also on [`Store::bus`].
    pub fn from_log(&self) -> &Bus {
        &self.from_log
    }

    /// Where the database is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn dialect(&self) -> Dialect {
        self.readers.dialect()
    }

    /// Whether the database answers: a file always does; a server must answer a query within
    /// [`PING_LIMIT`].
    pub async fn ping(&self) -> DatabaseStatus {
        let Location::Server(url) = &self.location else {
            return DatabaseStatus::Online;
        };
        let answer = query("SELECT 1").scalar::<i32>(&self.readers);
        match tokio::time::timeout(PING_LIMIT, answer).await {
            Ok(Ok(_)) => DatabaseStatus::Online,
            Ok(Err(_)) | Err(_) => DatabaseStatus::Offline { host: url.host() },
        }
    }

    /// The log's last seq.
    pub async fn seq(&self) -> Result<i64> {
        last_seq(&mut self.readers.acquire().await?.conn()).await
    }

    /// The changes after `seq` up to the log's end, in order, only those of `project` when
    /// given, read in one snapshot: the batch's range says how far the log was read, whatever
    /// the scope left out.
    pub async fn changes_since(&self, seq: i64, project: Option<&ProjectId>) -> Result<Batch> {
        let mut tx = self.readers.snapshot().await?;
        let mut conn = tx.conn();
        let to_seq = last_seq(&mut conn).await?;
        let select = change_select(conn.dialect());
        let rows: Vec<ChangeRow> = query(format!(
            "{select} WHERE seq > $1 AND seq <= $2 AND ($3 IS NULL OR project_id = $3)
             ORDER BY seq"
        ))
        .bind(seq)
        .bind(to_seq)
        .bind(project)
        .fetch_all(&mut conn)
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
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed)> {
        let origin = serde_json::to_string(origin).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an origin");
            Error::Storage(sqlx::Error::Encode(Box::new(e)))
        })?;
        let mut writer = self.writer.lock().await;
        let result = self.write_locked(&mut writer, &origin, apply).await;
        self.settle(&mut writer, result)
    }

    /// [`Store::write`] with the writer's lock held.
    async fn write_locked<T>(
        &self,
        writer: &mut Writer,
        origin: &str,
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed)> {
        let (conn, published_to) = self.connected(writer).await?;
        let mut tx = conn.begin_write().await?;
        let start = tx.start(origin).await?;
        let applied = apply_in(&mut tx, *published_to, start, origin, apply).await;
        let (earlier, value, rows) = match applied {
            Ok(applied) => applied,
            Err(e) => {
                // Roll back now: on a server, a transaction left for the next write to end
                // would hold the log's lock, and so every machine's writes, until then.
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "a failed write did not roll back");
                    writer.conn = None;
                }
                return Err(e);
            }
        };
        tx.commit().await?;
        let committed: Committed = rows
            .into_iter()
            .map(Change::try_from)
            .collect::<Result<_>>()?;
        if !earlier.is_empty() {
            self.bus.publish(earlier.into());
        }
        if !committed.is_empty() {
            self.bus.publish(committed.clone());
        }
        writer.published_to = committed.last().map_or(start, |c| c.seq);
        Ok((value, committed))
    }

    /// `result` of work on the writer's connection as the caller should see it. A lost
    /// connection is dropped, so the next use connects again, and on a server it is
    /// [`Error::Offline`].
    fn settle<T>(&self, writer: &mut Writer, result: Result<T>) -> Result<T> {
        result.map_err(|e| {
            if e.is_disconnect() {
                writer.conn = None;
            }
            match &self.location {
                Location::Server(url) if e.is_disconnect() => Error::Offline { host: url.host() },
                _ => e,
            }
        })
    }

    /// The writer's connection, connecting again when the last one was lost, and how far the
    /// bus has been fed.
    async fn connected<'w>(
        &self,
        writer: &'w mut Writer,
    ) -> Result<(&'w mut sql::Connection, &'w mut i64)> {
        if writer.conn.is_none() {
            writer.conn = Some(reconnect(&self.location).await?);
        }
        match writer {
            Writer {
                conn: Some(conn),
                published_to,
            } => Ok((conn, published_to)),
            Writer { conn: None, .. } => Err(Error::Offline {
                host: self.location.to_string(),
            }),
        }
    }

    /// A task's timeline from the change log, oldest first: the task's own changes, its
    /// subtasks' and its labels', whoever made them (each change's origin says which window,
    /// instance or program) and when. A task that never existed is `NotFound`; a deleted one
    /// still has its history.
    pub async fn task_history(&self, task: &TaskId) -> Result<Vec<Change>> {
        let select = change_select(self.dialect());
        let rows: Vec<ChangeRow> = query(format!(
            "{select}
             WHERE (entity = 'task' AND entity_id = $1)
                OR (entity = 'task_label' AND substr(entity_id, 1, length($1) + 1) = $1 || ':')
                OR (entity = 'subtask' AND $1 IN (data ->> 'task_id', previous ->> 'task_id'))
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
        let read = async {
            let (conn, published_to) = self.connected(&mut writer).await?;
            changes_between(&mut conn.conn(), *published_to, i64::MAX).await
        };
        let changes = read.await;
        let changes = self.settle(&mut writer, changes)?;
        Ok(self.publish_read(&mut writer.published_to, changes))
    }

    /// Takes in a batch another instance committed (relayed by the hub). When it carries every
    /// change after what the bus has carried, up to its end, it is published as is; otherwise
    /// (changes coalesced away, or others' commits it does not hold) the log fills in. Either
    /// way the bus gets each change once, in seq order. Returns how many changes it published.
    pub async fn receive(&self, batch: &Batch) -> Result<usize> {
        let mut writer = self.writer.lock().await;
        let published_to = writer.published_to;
        if batch.to_seq <= published_to {
            return Ok(0);
        }
        let fresh: Vec<&Change> = batch
            .changes
            .iter()
            .filter(|c| c.seq > published_to)
            .collect();
        let complete = fresh.last().is_some_and(|c| c.seq == batch.to_seq)
            && fresh
                .iter()
                .zip(published_to + 1..)
                .all(|(c, seq)| c.seq == seq);
        if complete {
            let changes = fresh.into_iter().cloned().collect();
            return Ok(self.publish_to(&mut writer.published_to, changes).len());
        }
        let read = async {
            let (conn, _) = self.connected(&mut writer).await?;
            changes_between(&mut conn.conn(), published_to, i64::MAX).await
        };
        let read = read.await;
        let changes = self.settle(&mut writer, read)?;
        Ok(self.publish_read(&mut writer.published_to, changes))
    }

    /// Publishes `changes` (which follow `published_to`), moves the mark past them and returns
    /// them as published.
    fn publish_to(&self, published_to: &mut i64, changes: Vec<Change>) -> Committed {
        let committed: Committed = changes.into();
        if let Some(last) = committed.last() {
            *published_to = last.seq;
            self.bus.publish(committed.clone());
        }
        committed
    }

    /// [`Store::publish_to`] for changes read from the log, which [`Store::from_log`] carries
    /// too. Returns how many there were.
    fn publish_read(&self, published_to: &mut i64, changes: Vec<Change>) -> usize {
        let committed = self.publish_to(published_to, changes);
        if !committed.is_empty() {
            self.from_log.publish(committed.clone());
        }
        committed.len()
    }

    /// Watches the database for commits by other processes and machines (the CLI, the sqlite3
    /// shell, `psql`, another machine's Tandem) and publishes them, until `shutdown` completes.
    /// On a file, `PRAGMA data_version` is polled every `every` on a connection of its own (it
    /// changes only when another connection commits, so a poll reads no rows while nothing
    /// happens); on a server, `LISTEN` wakes it, and it also reads the log every `every` (a
    /// second at least) as a safety net, since a notification sent while it was away is lost.
    ///
    /// A failure (the file briefly locked, the server gone) is logged and retried with jittered
    /// backoff, forever: windows must not stop hearing of other programs' changes for good.
    pub async fn watch_other_writers(
        &self,
        every: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(shutdown);
        let mut backoff = crate::backoff::Backoff::standard();
        loop {
            let began = tokio::time::Instant::now();
            let watch = async {
                match &self.location {
                    Location::File(path) => sqlite::watch(self, path, every).await,
                    Location::Server(url) => postgres::watch(self, url, every).await,
                }
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                result = watch => {
                    let Err(e) = result;
                    tracing::warn!(error = %e, "watching for other programs' changes failed; retrying");
                }
            }
            // A watch that ran a while worked: the next failure is a new one.
            if began.elapsed() > backoff.max() {
                backoff.reset();
            }
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(backoff.wait()) => {}
            }
        }
    }
}

impl sql::Tx<'_> {
    /// Takes the log's write lock for this write, with `origin` for the rows it logs, and
    /// returns the log's last seq: every seq up to it is committed.
    async fn start(&mut self, origin: &str) -> Result<i64> {
        match self {
            sql::Tx::Sqlite(tx) => sqlite::start(tx).await,
            sql::Tx::Postgres(tx) => postgres::start(tx, origin).await,
        }
    }

    /// The change rows this write logged since `start`, in seq order, marked with `origin`.
    async fn stamp(&mut self, origin: &str, start: i64) -> Result<Vec<ChangeRow>> {
        match self {
            sql::Tx::Sqlite(tx) => sqlite::stamp(tx, origin, start).await,
            sql::Tx::Postgres(tx) => postgres::stamp(tx, start).await,
        }
    }
}

/// A new writer's connection to `location`. The future owns what it needs: one that borrowed
/// the location would stop the tasks that write from being `Send`.
fn reconnect(
    location: &Location,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<sql::Connection>> + Send>> {
    let location = location.clone();
    Box::pin(async move {
        match &location {
            Location::File(path) => sqlite::reconnect(path).await,
            Location::Server(url) => postgres::reconnect(url).await,
        }
    })
}

/// The body of a write: the changes other processes committed since the bus was last fed
/// (`published_to`), what `apply` returns, and the change rows it logged after `start`.
async fn apply_in<T>(
    tx: &mut sql::Tx<'_>,
    published_to: i64,
    start: i64,
    origin: &str,
    apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
) -> Result<(Vec<Change>, T, Vec<ChangeRow>)> {
    let earlier = if start > published_to {
        changes_between(&mut tx.conn(), published_to, start).await?
    } else {
        Vec::new()
    };
    let value = apply(&mut tx.conn()).await?;
    let rows = tx.stamp(origin, start).await?;
    Ok((earlier, value, rows))
}

/// `SELECT` of the change log's columns, in [`ChangeRow`]'s order, `FROM changes`.
fn change_select(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => sqlite::CHANGE_SELECT,
        Dialect::Postgres => postgres::CHANGE_SELECT,
    }
}

/// The changes with `after < seq <= upto`, in order.
async fn changes_between(conn: &mut Conn<'_>, after: i64, upto: i64) -> Result<Vec<Change>> {
    let select = change_select(conn.dialect());
    let rows: Vec<ChangeRow> = query(format!(
        "{select} WHERE seq > $1 AND seq <= $2 ORDER BY seq"
    ))
    .bind(after)
    .bind(upto)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Change::try_from).collect()
}

async fn last_seq(conn: &mut Conn<'_>) -> Result<i64> {
    query("SELECT COALESCE(MAX(seq), 0) FROM changes")
        .scalar(conn)
        .await
}

/// A `changes` row as stored.
#[derive(sqlx::FromRow)]
struct ChangeRow {
    seq: i64,
    #[sqlx(try_from = "String")]
    op: crate::model::Op,
    #[sqlx(try_from = "String")]
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
pub(super) trait Versioned: sql::Row + serde::de::DeserializeOwned {
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

/// The row `id` of `T`'s table at whatever version, or `NotFound`.
pub(super) async fn row<T: Versioned>(conn: &mut Conn<'_>, id: &str) -> Result<T> {
    query(format!("SELECT * FROM {} WHERE id = $1", T::TABLE))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(T::KIND, id))
}

/// The row `id` of `T`'s table, if the caller saw its current version; else `NotFound`, or
/// `Conflict` with the row as it is now.
pub(super) async fn at_version<T: Versioned>(
    conn: &mut Conn<'_>,
    id: &str,
    expected_version: i64,
) -> Result<T> {
    let row: T = row(conn, id).await?;
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
        /// Keeps a file's folder while the test runs.
        _dir: Option<tempfile::TempDir>,
    }

    async fn open(location: Location, dir: Option<tempfile::TempDir>) -> TestStore {
        let origin = Origin::new("test-instance", Actor::Gui);
        let store = Store::open(location, &origin)
            .await
            .expect("a new store opens");
        TestStore {
            store,
            origin,
            _dir: dir,
        }
    }

    /// A store on a new file in a temporary folder.
    pub async fn store() -> TestStore {
        let dir = tempfile::tempdir().expect("a temporary folder");
        open(Location::File(dir.path().join("tandem.db")), Some(dir)).await
    }

    /// A store on a new database of the shared test server.
    #[cfg(unix)]
    pub async fn server_store() -> TestStore {
        let url = crate::testing::TestServer::shared().database().url;
        open(Location::parse(&url).expect("a server URL"), None).await
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

    /// `store` watching for other writers, polling every `every`, until the sender is dropped.
    fn watching(
        store: &Arc<Store>,
        every: Duration,
    ) -> (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<Result<()>>,
    ) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let store = store.clone();
        let watcher = tokio::spawn(async move {
            store
                .watch_other_writers(every, async {
                    let _ = stopped.await;
                })
                .await
        });
        (stop, watcher)
    }

    #[tokio::test]
    async fn the_watcher_publishes_commits_by_other_processes() {
        let (_dir, here, there) = two_processes().await;
        let mut bus = here.bus().subscribe();
        let (stop, watcher) = watching(&here, Duration::from_millis(5));
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
    async fn a_commit_by_another_process_wakes_the_watcher_without_waiting_for_a_poll() {
        let (_dir, here, there) = two_processes().await;
        let mut bus = here.bus().subscribe();
        // Polls once at the start, then not for an hour: only the file changing wakes it.
        let (stop, watcher) = watching(&here, Duration::from_secs(3600));
        let published = async |bus: &mut tokio::sync::broadcast::Receiver<Committed>| {
            tokio::time::timeout(Duration::from_secs(10), bus.recv())
                .await
                .expect("published within the deadline")
                .unwrap()
        };
        let first = add(&there, "there", "Before").await;
        assert_eq!(published(&mut bus).await.last().unwrap().seq, first);
        for title in ["One", "Two", "Three"] {
            let theirs = add(&there, "there", title).await;
            assert_eq!(published(&mut bus).await.last().unwrap().seq, theirs);
        }
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
            let err = query(bad)
                .execute(&mut writer.conn.as_mut().unwrap().conn())
                .await
                .unwrap_err();
            assert!(err.to_string().contains("must be valid JSON"), "{bad}: {err}");
        }
        drop(writer);
        assert_eq!(here.seq().await.unwrap(), before);
    }

    #[tokio::test]
    async fn an_origin_of_another_programs_shape_reads_as_no_origin() {
        let (_dir, here, _there) = two_processes().await;
        let mut writer = here.writer.lock().await;
        query(
            "INSERT INTO changes (op, entity, entity_id, origin)
             VALUES ('update', 'task', 'x', '{\"tool\": \"sync\"}')",
        )
        .execute(&mut writer.conn.as_mut().unwrap().conn())
        .await
        .unwrap();
        drop(writer);
        let log = here.changes_since(0, None).await.unwrap().changes;
        let last = log.last().unwrap();
        assert_eq!(last.entity_id, "x");
        assert_eq!(last.origin, None);
    }
}
