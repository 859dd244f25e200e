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

mod archive;
mod backup;
mod board;
mod check;
mod checkpoint;
mod copy;
mod direct;
mod edit;
mod import;
mod label;
mod position;
mod postgres;
mod replace;
#[cfg(test)]
mod replay_tests;
mod restore;
mod search;
#[cfg(all(test, unix))]
mod server_tests;
mod sql;
mod sqlite;
mod subtask;
mod task;
mod transfer;

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, Mutex};

pub use backup::{backup_name, DAILY_KEPT};
pub use board::{ColumnEdit, Descriptions};
pub use check::{check, health, Found, Health};
pub use copy::{copy, Copied};
pub use import::Imported;
pub use replace::Restored;
pub use search::{Search, DEFAULT_LIMIT as SEARCH_LIMIT};
pub use sql::Dialect;
pub use task::{NewTask, Step, TaskEdit};

use crate::bus::{Bus, Committed};
use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{
    Batch, Change, Column, DatabaseStatus, Entity, EntityKind, Label, Origin, Project, ProjectId,
    Subtask, Task, TaskId,
};
use sql::{query, Conn, Control, Pool};

/// [`Store::unfinished`]: no write abandoned; undo the whole transaction; undo to the
/// abandoned write's savepoint.
const UNDO_NONE: u8 = 0;
const UNDO_ALL: u8 = 1;
const UNDO_TO_SAVEPOINT: u8 = 2;

/// How long a server may take to answer [`Store::ping`] before it counts as offline: with a
/// ping every second, a window says so within two.
const PING_LIMIT: Duration = Duration::from_secs(1);

/// How many reads from the log a hub may fall behind relaying before it tells its peers to
/// read the log themselves. Each read is a whole burst's worth of changes.
const FROM_LOG_CAPACITY: usize = 256;

/// The most writes one transaction carries while writers queue: enough to share a commit among
/// every window and script of a busy instance, few enough that the first of them is told soon.
const GROUP_LIMIT: usize = 64;

pub struct Store {
    /// Connections for reads; they never write.
    readers: Pool,
    /// The one connection this process writes through, and how far the bus has been fed. The
    /// lock serialises this process's writers first-come first-served (so they never queue in
    /// the database against each other); changes are published in seq order when their
    /// transaction commits.
    writer: Mutex<Writer>,
    /// Writes waiting for the writer's lock. While any wait, a finished write leaves its
    /// transaction open for them to join (group commit).
    queued: AtomicUsize,
    /// Write transactions this store committed.
    commits: AtomicU64,
    /// How to undo a write abandoned halfway (its caller stopped waiting while it was inside
    /// the transaction, between two round trips to a server): [`Control`] as a number, 0 for
    /// none. Undone before the writer's connection is used again.
    unfinished: AtomicU8,
    /// Where committed changes go.
    bus: Bus,
    /// The part of what the bus carried that was read from the log: other programs' and other
    /// machines' commits, and whatever a relay did not bring. A hub relays it to its peers.
    from_log: Bus,
    /// Where the database is, for the watcher's own connection.
    location: Location,
    /// A file's WAL checkpoints, off the write path; `None` on a server.
    checkpoints: Option<checkpoint::Checkpointer>,
}

/// The writing end of the store.
struct Writer {
    /// `None` after a server connection was lost: the next write connects again.
    conn: Option<sql::Connection>,
    /// The last seq put on the bus: every change up to it has been published, in order, once.
    published_to: i64,
    /// The writes of the transaction open on `conn`, in order, waiting for its commit.
    group: Option<Vec<Member>>,
}

/// Counts a write as waiting for the writer's lock until dropped: when it gets the lock, or
/// when its caller gives up on it.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn on(queued: &'a AtomicUsize) -> Waiting<'a> {
        queued.fetch_add(1, Ordering::SeqCst);
        Waiting(queued)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A write done inside a shared transaction, waiting for its commit.
struct Member {
    /// What it changed, published when the transaction commits.
    committed: Committed,
    /// Told whether the transaction committed.
    outcome: oneshot::Sender<Result<()>>,
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
                group: None,
            }),
            queued: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            unfinished: AtomicU8::new(UNDO_NONE),
            bus: Bus::new(),
            from_log: Bus::with_capacity(FROM_LOG_CAPACITY),
            checkpoints: match &location {
                Location::File(path) => Some(checkpoint::Checkpointer::new(path)),
                Location::Server(_) => None,
            },
            location,
        };
        store.seed(origin).await?;
        Ok(store)
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// How many write transactions this store has committed: fewer than its writes when
    /// writes queued and shared them.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
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
        let mut writer = self.writer().await;
        let read = async {
            let conn = self.connected(&mut writer).await?;
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
        if let Some(conn) = self.writer().await.conn.take() {
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

    /// Runs `apply` in a write transaction on behalf of `origin`, then commits and publishes
    /// the changes it made. Returns what `apply` returned and the committed changes.
    ///
    /// Writes that queue share a transaction (group commit): each runs whole on the writer's
    /// connection in turn, and a write that finds others waiting leaves the transaction open
    /// for them; the last commits it for all, and each is told. Each keeps its own change rows
    /// (stamped with its own origin), its own result and its own error: one that fails rolls
    /// back to where it began and the others go on. A failed commit fails them all.
    async fn write<T>(
        &self,
        origin: &Origin,
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed)> {
        let origin = serde_json::to_string(origin).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an origin");
            Error::Storage(sqlx::Error::Encode(Box::new(e)))
        })?;
        let mut writer = {
            let _waiting = Waiting::on(&self.queued);
            self.writer.lock().await
        };
        let result = self.write_locked(&mut writer, &origin, apply).await;
        let result = self.settle(&mut writer, result);
        let outcome = match &result {
            // Alone: committed as it finished.
            Ok((_, committed, true)) => {
                self.count_commit();
                if let Some(last) = committed.last() {
                    writer.published_to = last.seq;
                    self.bus.publish(committed.clone());
                }
                None
            }
            Ok((_, committed, false)) => {
                let (told, outcome) = oneshot::channel();
                writer.group.get_or_insert_with(Vec::new).push(Member {
                    committed: committed.clone(),
                    outcome: told,
                });
                Some(outcome)
            }
            Err(_) => None,
        };
        let members = writer.group.as_ref().map_or(0, Vec::len);
        if self.queued.load(Ordering::SeqCst) == 0 || members >= GROUP_LIMIT {
            self.commit(&mut writer).await;
        }
        drop(writer);
        let (value, committed, _) = result?;
        if let Some(outcome) = outcome {
            self.committed(outcome).await?;
        }
        Ok((value, committed))
    }

    /// [`Store::write`]'s part with the writer's lock held: `apply` and its change rows, inside
    /// the open transaction, or a new one. A write that begins a transaction and finds no one
    /// waiting commits it as it finishes, and says so.
    async fn write_locked<T>(
        &self,
        writer: &mut Writer,
        origin: &str,
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed, bool)> {
        self.undo_abandoned(writer).await;
        let joining = writer.group.is_some();
        let published_to = writer.published_to;
        let conn = self.connected(writer).await?;
        let mut alone = false;
        let (undo, undo_code) = if joining {
            (Control::RollbackToSavepoint, UNDO_TO_SAVEPOINT)
        } else {
            (Control::Rollback, UNDO_ALL)
        };
        let applied = async {
            // The first write of a transaction needs no savepoint: if it fails, the whole
            // transaction, which holds only it, rolls back.
            let start = conn.open_write(joining, origin).await?;
            self.unfinished.store(undo_code, Ordering::SeqCst);
            let earlier = if !joining && start > published_to {
                changes_between(&mut conn.conn(), published_to, start).await?
            } else {
                Vec::new()
            };
            let value = apply(&mut conn.conn()).await?;
            alone = !joining && self.queued.load(Ordering::SeqCst) == 0;
            let rows = conn.finish_write(joining, alone, origin, start).await?;
            Ok((start, earlier, value, rows))
        };
        let applied = applied.await;
        self.unfinished.store(UNDO_NONE, Ordering::SeqCst);
        let (start, earlier, value, rows) = match applied {
            Ok(applied) => applied,
            Err(e) => {
                // Undo it now (whatever of it was done): on a server, a transaction left open
                // would hold the log's lock, and so every machine's writes.
                if let Err(undone) = conn.control(undo).await {
                    tracing::warn!(error = %undone, "a failed write did not roll back");
                    self.abandon(writer, &undone);
                }
                return Err(e);
            }
        };
        let committed: Committed = rows
            .into_iter()
            .map(Change::try_from)
            .collect::<Result<_>>()?;
        // Other processes' commits this transaction follows: publish them before its own.
        if !joining && start > published_to {
            writer.published_to = start;
            if !earlier.is_empty() {
                self.bus.publish(earlier.into());
            }
        }
        Ok((value, committed, alone))
    }

    /// Counts a commit, and has its pages checkpointed in the background.
    fn count_commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.wake();
        }
    }

    /// Commits the transaction writes share, if one is open, publishes their changes in order
    /// and tells each write.
    async fn commit(&self, writer: &mut Writer) {
        self.undo_abandoned(writer).await;
        let Some(members) = writer.group.take() else {
            return;
        };
        let committed = match writer.conn.as_mut() {
            Some(conn) => conn.control(Control::Commit).await,
            None => Err(self.offline()),
        };
        match committed {
            Ok(()) => {
                self.count_commit();
                for member in members {
                    if let Some(last) = member.committed.last() {
                        writer.published_to = last.seq;
                        self.bus.publish(member.committed);
                    }
                    let _ = member.outcome.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, writes = members.len(), "a shared commit failed");
                if let Some(conn) = writer.conn.as_mut() {
                    if let Err(undone) = conn.control(Control::Rollback).await {
                        tracing::warn!(error = %undone, "a failed commit did not roll back");
                        writer.conn = None;
                    }
                }
                if e.is_disconnect() {
                    writer.conn = None;
                }
                for member in members {
                    let _ = member.outcome.send(Err(self.shared_failure(&e)));
                }
            }
        }
    }

    /// Undoes the write abandoned halfway, if one was: nothing of it may be committed with the
    /// next.
    async fn undo_abandoned(&self, writer: &mut Writer) {
        let undo = match self.unfinished.swap(UNDO_NONE, Ordering::SeqCst) {
            UNDO_ALL => Control::Rollback,
            UNDO_TO_SAVEPOINT => Control::RollbackToSavepoint,
            _ => return,
        };
        tracing::warn!("a write was abandoned halfway; undoing it");
        let Some(conn) = writer.conn.as_mut() else {
            return;
        };
        if let Err(e) = conn.control(undo).await {
            tracing::warn!(error = %e, "an abandoned write did not roll back");
            self.abandon(writer, &e);
        }
    }

    /// Waits until the transaction a write joined has committed or failed. Should every write
    /// after it stop waiting before committing it, the lock comes back here and this commits.
    async fn committed(&self, mut outcome: oneshot::Receiver<Result<()>>) -> Result<()> {
        loop {
            tokio::select! {
                biased;
                told = &mut outcome => return told.unwrap_or_else(|_| Err(self.offline())),
                mut writer = self.writer.lock() => {
                    if let Ok(told) = outcome.try_recv() {
                        return told;
                    }
                    self.commit(&mut writer).await;
                }
            }
        }
    }

    /// The writer's lock for anything but a write: the transaction writes share, if open, is
    /// committed first, so what follows sees and publishes only committed changes.
    async fn writer(&self) -> tokio::sync::MutexGuard<'_, Writer> {
        let mut writer = self.writer.lock().await;
        self.commit(&mut writer).await;
        writer
    }

    /// Drops the writer's connection after `error`: the open transaction is lost, and every
    /// write waiting for it is told.
    fn abandon(&self, writer: &mut Writer, error: &Error) {
        writer.conn = None;
        for member in writer.group.take().into_iter().flatten() {
            let _ = member.outcome.send(Err(self.shared_failure(error)));
        }
    }

    /// `error`, which ended a transaction several writes shared, as each of them is told it.
    fn shared_failure(&self, error: &Error) -> Error {
        match &self.location {
            Location::Server(url) if error.is_disconnect() => Error::Offline { host: url.host() },
            _ => error.shared(),
        }
    }

    fn offline(&self) -> Error {
        Error::Offline {
            host: self.location.to_string(),
        }
    }

    /// `result` of work on the writer's connection as the caller should see it. A lost
    /// connection is dropped, so the next use connects again, and on a server it is
    /// [`Error::Offline`].
    fn settle<T>(&self, writer: &mut Writer, result: Result<T>) -> Result<T> {
        result.map_err(|e| {
            if e.is_disconnect() {
                self.abandon(writer, &e);
            }
            match &self.location {
                Location::Server(url) if e.is_disconnect() => Error::Offline { host: url.host() },
                _ => e,
            }
        })
    }

    /// The writer's connection, connecting again when the last one was lost.
    async fn connected<'w>(&self, writer: &'w mut Writer) -> Result<&'w mut sql::Connection> {
        if writer.conn.is_none() {
            writer.conn = Some(reconnect(&self.location).await?);
        }
        writer.conn.as_mut().ok_or_else(|| self.offline())
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
        let mut writer = self.writer().await;
        let published_to = writer.published_to;
        let read = async {
            let conn = self.connected(&mut writer).await?;
            changes_between(&mut conn.conn(), published_to, i64::MAX).await
        };
        let changes = read.await;
        let changes = self.settle(&mut writer, changes)?;
        if let (Some(checkpoints), false) = (&self.checkpoints, changes.is_empty()) {
            // Another process committed: its pages are in the WAL too.
            checkpoints.wake();
        }
        Ok(self.publish_read(&mut writer.published_to, changes))
    }

    /// Takes in a batch another instance committed (relayed by the hub). When it carries every
    /// change after what the bus has carried, up to its end, it is published as is; otherwise
    /// (changes coalesced away, or others' commits it does not hold) the log fills in. Either
    /// way the bus gets each change once, in seq order. Returns how many changes it published.
    pub async fn receive(&self, batch: &Batch) -> Result<usize> {
        let mut writer = self.writer().await;
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
            let conn = self.connected(&mut writer).await?;
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

impl sql::Connection {
    /// Opens a write on behalf of `origin`: a new transaction, or a savepoint in the open one
    /// when `joining`. Returns the log's last seq: every seq up to it is committed or this
    /// transaction's own. On a server this takes the log's lock, which the transaction holds
    /// until it ends.
    async fn open_write(&mut self, joining: bool, origin: &str) -> Result<i64> {
        match self {
            sql::Connection::Direct(conn) => sqlite::open_write(conn, joining).await,
            sql::Connection::Postgres(conn) => postgres::open_write(conn, joining, origin).await,
        }
    }

    /// Ends a write's part: the change rows it logged since `start`, in seq order, marked with
    /// `origin`; its savepoint released when `joining`; the transaction committed if `commit`.
    async fn finish_write(
        &mut self,
        joining: bool,
        commit: bool,
        origin: &str,
        start: i64,
    ) -> Result<Vec<ChangeRow>> {
        match self {
            sql::Connection::Direct(conn) => {
                sqlite::finish_write(conn, joining, commit, origin, start).await
            }
            sql::Connection::Postgres(conn) => {
                postgres::finish_write(conn, joining, commit, start).await
            }
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
#[derive(sqlx::FromRow, serde::Deserialize)]
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
    use crate::model::{Actor, TaskId};
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

    /// Runs `writes` queued behind the writer's lock, which is let go once all of them wait,
    /// as writes from many windows and scripts arriving together would be.
    async fn queued<T>(
        store: &Store,
        writes: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + '_>>>,
    ) -> Vec<T> {
        let held = store.writer.lock().await;
        let waiting = writes.len();
        let release = async move {
            while store.queued.load(Ordering::SeqCst) < waiting {
                tokio::task::yield_now().await;
            }
            drop(held);
        };
        let (results, ()) = tokio::join!(futures_util::future::join_all(writes), release);
        results
    }

    /// A write that changes a task's title, then fails.
    async fn fails_halfway(store: &Store, task: &TaskId) -> Result<()> {
        let origin = Origin::new("halfway", Actor::Cli);
        let ((), _) = store
            .write(&origin, async |conn: &mut Conn<'_>| {
                query("UPDATE tasks SET title = 'Half done', version = version + 1 WHERE id = $1")
                    .bind(task)
                    .execute(conn)
                    .await?;
                Err(Error::invalid("title", "refused halfway"))
            })
            .await?;
        Ok(())
    }

    /// Group commit on either database: writes queued at once share one transaction, and
    /// each keeps its own change rows, its own result and its own error.
    pub(super) async fn queued_writes_share_a_commit(t: testing::TestStore) {
        let store = &t.store;
        let project = store.first_project().await.unwrap().id;
        let mut tasks = Vec::new();
        for title in ["One", "Two", "Three", "Four"] {
            let new = NewTask {
                project_id: project.clone(),
                column_id: None,
                title: title.into(),
            };
            tasks.push(store.create_task(&t.origin, new).await.unwrap());
        }
        let origins: Vec<Origin> = ["first", "second", "third"]
            .into_iter()
            .map(|name| Origin::new(name, Actor::Cli))
            .collect();
        let start = store.seq().await.unwrap();
        let commits = store.commits();
        let mut bus = store.bus().subscribe();

        type Write<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>>;
        let rename = |i: usize, version: i64, title: &'static str| -> Write<'_> {
            let (origin, task) = (&origins[i.min(2)], &tasks[i]);
            Box::pin(async move {
                store
                    .rename_task(origin, &task.id, version, title)
                    .await
                    .map(drop)
            })
        };
        let results = queued(
            store,
            vec![
                rename(0, 1, "One renamed"),
                Box::pin(fails_halfway(store, &tasks[3].id)),
                rename(1, 1, "Two renamed"),
                // Seen at a version it never had: refused.
                rename(3, 7, "Four renamed"),
                rename(2, 1, "Three renamed"),
            ],
        )
        .await;

        assert!(
            results[0].is_ok() && results[2].is_ok() && results[4].is_ok(),
            "{results:?}"
        );
        assert!(
            matches!(&results[1], Err(Error::Invalid { reason, .. }) if reason == "refused halfway"),
            "{results:?}"
        );
        assert!(
            matches!(results[3], Err(Error::Conflict { .. })),
            "{results:?}"
        );
        assert_eq!(
            store.commits(),
            commits + 1,
            "the five queued writes made one transaction"
        );

        // Each write's own changes, once, in seq order, stamped with its own origin; nothing
        // of the writes that failed.
        let mut published = Vec::new();
        while let Ok(batch) = bus.try_recv() {
            published.push(batch);
        }
        let seen: Vec<(i64, String, String)> = published
            .iter()
            .flat_map(|batch| batch.iter())
            .map(|c| {
                let instance = c
                    .origin
                    .as_ref()
                    .map(|o| o.instance.clone())
                    .unwrap_or_default();
                (c.seq, c.entity_id.clone(), instance)
            })
            .collect();
        let expected: Vec<(i64, String, String)> = [(0, "first"), (1, "second"), (2, "third")]
            .into_iter()
            .zip(start + 1..)
            .map(|((i, instance), seq)| (seq, tasks[i].id.0.clone(), instance.to_owned()))
            .collect();
        assert_eq!(seen, expected, "one batch per write: {published:?}");
        assert_eq!(published.len(), 3);
        assert_eq!(store.seq().await.unwrap(), start + 3, "the log has no gap");
        let four = store.task(&tasks[3].id).await.unwrap();
        assert_eq!((four.title.as_str(), four.version), ("Four", 1));
        assert_eq!(
            store.task(&tasks[2].id).await.unwrap().title,
            "Three renamed"
        );
    }

    #[tokio::test]
    async fn queued_writes_share_a_commit_on_a_file() {
        queued_writes_share_a_commit(testing::store().await).await;
    }

    #[tokio::test]
    async fn a_write_given_up_while_it_waits_no_longer_counts_as_waiting() {
        use futures_util::FutureExt as _;
        let t = testing::store().await;
        let project = t.store.first_project().await.unwrap().id;
        let held = t.store.writer.lock().await;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: "Given up".into(),
        };
        // Polled once (it queues behind the held lock), then dropped.
        assert!(t.store.create_task(&t.origin, new).now_or_never().is_none());
        drop(held);
        assert_eq!(t.store.queued.load(Ordering::SeqCst), 0);
        // So the next write, alone, commits at once.
        let commits = t.store.commits();
        let new = NewTask {
            project_id: t.store.first_project().await.unwrap().id,
            column_id: None,
            title: "Alone".into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap();
        assert_eq!(t.store.commits(), commits + 1);
    }

    /// A write whose caller stops waiting while it is inside its transaction: nothing of it is
    /// committed with the next write, on either database.
    pub(super) async fn a_write_abandoned_halfway_leaves_nothing(t: testing::TestStore) {
        let store = &t.store;
        let project = store.first_project().await.unwrap().id;
        let mut tasks = Vec::new();
        for title in ["Kept", "Renamed"] {
            let new = NewTask {
                project_id: project.clone(),
                column_id: None,
                title: title.into(),
            };
            tasks.push(store.create_task(&t.origin, new).await.unwrap());
        }
        let start = store.seq().await.unwrap();
        let (reached, halfway) = oneshot::channel::<()>();
        let kept = &tasks[0].id;
        let abandoned = store.write(&t.origin, async |conn: &mut Conn<'_>| {
            query("UPDATE tasks SET title = 'Abandoned', version = version + 1 WHERE id = $1")
                .bind(kept)
                .execute(conn)
                .await?;
            let _ = reached.send(());
            std::future::pending::<()>().await;
            Ok(())
        });
        tokio::select! {
            _ = abandoned => panic!("the write never finishes"),
            _ = halfway => {}
        }
        store
            .rename_task(&t.origin, &tasks[1].id, 1, "Renamed again")
            .await
            .unwrap();
        assert_eq!(store.task(kept).await.unwrap().title, "Kept");
        let log = store.changes_since(start, None).await.unwrap().changes;
        assert_eq!(log.len(), 1, "only the second write: {log:?}");
        assert_eq!(log[0].entity_id, tasks[1].id.0);
    }

    #[tokio::test]
    async fn a_write_abandoned_halfway_leaves_nothing_on_a_file() {
        a_write_abandoned_halfway_leaves_nothing(testing::store().await).await;
    }

    #[tokio::test]
    async fn a_queued_write_that_fails_first_leaves_the_rest_to_commit() {
        let t = testing::store().await;
        let store = &t.store;
        let project = store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: "Kept".into(),
        };
        let task = store.create_task(&t.origin, new).await.unwrap();
        let start = store.seq().await.unwrap();
        let results = queued(
            store,
            vec![
                Box::pin(fails_halfway(store, &task.id)),
                Box::pin(async {
                    store
                        .rename_task(&t.origin, &task.id, 1, "Renamed")
                        .await
                        .map(drop)
                }),
            ],
        )
        .await;
        assert!(results[0].is_err() && results[1].is_ok(), "{results:?}");
        let task = store.task(&task.id).await.unwrap();
        assert_eq!((task.title.as_str(), task.version), ("Renamed", 2));
        assert_eq!(store.seq().await.unwrap(), start + 1);
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
