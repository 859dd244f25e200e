//! The one write path: every change to the board is one call of [`Store::write`].

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use tokio::sync::oneshot;

use super::sql::{self, query, Conn, Control};
use super::sql::{postgres, sqlite};
use super::{changes_between, ChangeRow, Store};
use crate::bus::Committed;
use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{Change, Origin, Queued};

/// [`Store::unfinished`]: no write abandoned; undo the whole transaction; undo to the
/// abandoned write's savepoint.
pub(super) const UNDO_NONE: u8 = 0;
const UNDO_ALL: u8 = 1;
const UNDO_TO_SAVEPOINT: u8 = 2;

/// The most writes one transaction carries while writers queue: enough to share a commit among
/// every window and script of a busy instance, few enough that the first of them is told soon.
const GROUP_LIMIT: usize = 64;

/// How the writer's connection changes hands: a hub's watcher holds the writer's lock while it
/// listens on the connection, and gives it up to whoever asks; a read borrows the connection
/// when it is free.
#[derive(Default)]
pub(crate) struct Turn {
    /// Told by everyone about to wait for the writer's lock.
    pub(crate) wanted: tokio::sync::Notify,
    /// How many wait for the writer's lock (but the watcher): the watcher lets them go first.
    pub(crate) waiting: AtomicUsize,
    /// Whether a write holds the lock: a read then takes a reader of its own rather than
    /// wait. (Anyone else holding it is quick, or gives it up when asked.)
    pub(crate) writing: AtomicBool,
    /// How to undo a write abandoned halfway (its caller stopped waiting while it was inside
    /// the transaction, between two round trips to a server): [`Control`] as a number,
    /// [`UNDO_NONE`] for none. Undone before the writer's connection is used again.
    pub(crate) unfinished: AtomicU8,
}

impl Turn {
    /// Counts the caller as waiting for the writer's lock until dropped, and asks the watcher
    /// to give it up.
    pub(crate) fn ask(&self) -> Asking<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.wanted.notify_one();
        Asking(self)
    }

    /// Whether anyone but the watcher waits for the writer's lock.
    pub(crate) fn asked(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }
}

/// One waiting for the writer's lock, until dropped.
pub(crate) struct Asking<'a>(&'a Turn);

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writing end of the store.
pub(super) struct Writer {
    /// `None` after a server connection was lost, or closed for being idle: the next write
    /// connects again.
    pub(super) conn: Option<sql::Connection>,
    /// When `conn` was last used.
    pub(super) used: std::time::Instant,
    /// The last seq put on the bus: every change up to it has been published, in order, once.
    pub(super) published_to: i64,
    /// The writes of the transaction open on `conn`, in order, waiting for its commit.
    pub(super) group: Option<Vec<Member>>,
    /// Whether a read that borrowed `conn` may have left its transaction open (it stopped
    /// halfway): rolled back before the connection is used again.
    pub(super) untidy: bool,
}

impl Writer {
    pub(super) fn new(conn: sql::Connection, published_to: i64) -> Writer {
        Writer {
            conn: Some(conn),
            used: std::time::Instant::now(),
            published_to,
            group: None,
            untidy: false,
        }
    }

    /// Ends the transaction a read left open on the connection, if one may have.
    pub(super) async fn tidy(&mut self) {
        if !std::mem::take(&mut self.untidy) {
            return;
        }
        if let Some(conn) = self.conn.as_mut() {
            if let Err(e) = conn.control(Control::Rollback).await {
                tracing::warn!(error = %e, "an abandoned read did not end");
                self.conn = None;
            }
        }
    }
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

/// Says that a write holds the writer's lock, until dropped.
struct Writing<'a>(&'a AtomicBool);

impl<'a> Writing<'a> {
    fn on(flag: &'a AtomicBool) -> Writing<'a> {
        flag.store(true, Ordering::SeqCst);
        Writing(flag)
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A write done inside a shared transaction, waiting for its commit.
pub(super) struct Member {
    /// What it changed, published when the transaction commits.
    committed: Committed,
    /// Told whether the transaction committed.
    outcome: oneshot::Sender<Result<()>>,
}

impl Store {
    /// Runs `apply` in a write transaction on behalf of `origin`, then commits and publishes
    /// the changes it made. Returns what `apply` returned and the committed changes.
    ///
    /// Writes that queue share a transaction (group commit): each runs whole on the writer's
    /// connection in turn, and a write that finds others waiting leaves the transaction open
    /// for them; the last commits it for all, and each is told. Each keeps its own change rows
    /// (stamped with its own origin), its own result and its own error: one that fails rolls
    /// back to where it began and the others go on. A failed commit fails them all.
    pub(super) async fn write<T>(
        &self,
        origin: &Origin,
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed)> {
        let queued = origin.queued.clone();
        // A copy of a server's board takes only changes being queued for the server.
        if let Some(url) = &self.copy_of {
            if queued.as_ref().is_none_or(|q| q.mutation.is_none()) {
                return Err(Error::Offline { host: url.host() });
            }
        }
        let origin = serde_json::to_string(origin).map_err(|e| {
            tracing::error!(error = %e, "cannot encode an origin");
            Error::Storage(sqlx::Error::Encode(Box::new(e)))
        })?;
        let mut writer = {
            let _waiting = Waiting::on(&self.queued);
            let _asking = self.turn.ask();
            self.writer.lock().await
        };
        let writing = Writing::on(&self.turn.writing);
        let result = self
            .write_locked(&mut writer, &origin, queued.as_ref(), apply)
            .await;
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
        drop(writing);
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
        queued: Option<&Queued>,
        apply: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>,
    ) -> Result<(T, Committed, bool)> {
        self.undo_abandoned(writer).await;
        let joining = writer.group.is_some();
        let published_to = writer.published_to;
        let mut alone = false;
        let (undo, undo_code) = if joining {
            (Control::RollbackToSavepoint, UNDO_TO_SAVEPOINT)
        } else {
            (Control::Rollback, UNDO_ALL)
        };
        // The first write of a transaction needs no savepoint: if it fails, the whole
        // transaction, which holds only it, rolls back.
        let start = self.open_write(writer, joining, origin, undo).await?;
        let conn = writer.conn.as_mut().ok_or_else(|| self.offline())?;
        let applied = async {
            self.turn.unfinished.store(undo_code, Ordering::SeqCst);
            let earlier = if !joining && start > published_to {
                changes_between(&mut conn.conn(), published_to, start).await?
            } else {
                Vec::new()
            };
            match queued {
                Some(Queued {
                    mutation: Some(mutation),
                    ..
                }) => enqueue(&mut conn.conn(), mutation).await?,
                Some(queued) => claim(&mut conn.conn(), queued).await?,
                None => {}
            }
            let value = apply(&mut conn.conn()).await?;
            alone = !joining && self.queued.load(Ordering::SeqCst) == 0;
            let rows = conn
                .finish_write(joining, alone, origin, &self.login, start)
                .await?;
            Ok((start, earlier, value, rows))
        };
        let applied = applied.await;
        self.turn.unfinished.store(UNDO_NONE, Ordering::SeqCst);
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

    /// Opens a write on the writer's connection; returns the log's end. A connection a new
    /// transaction finds dead (the server restarted, or ended it, while it sat idle; the hub's
    /// watcher had not yet noticed) is replaced once: nothing of the write reached it.
    async fn open_write(
        &self,
        writer: &mut Writer,
        joining: bool,
        origin: &str,
        undo: Control,
    ) -> Result<i64> {
        let mut fresh = writer.conn.is_none();
        loop {
            let conn = self.connected(writer).await?;
            match conn.open_write(joining, origin).await {
                Ok(start) => return Ok(start),
                Err(e) if e.is_disconnect() && !joining && !fresh => {
                    tracing::info!(error = %e, "the connection was gone; connecting again");
                    self.abandon(writer, &e);
                    fresh = true;
                }
                Err(e) => {
                    if let Err(undone) = conn.control(undo).await {
                        tracing::warn!(error = %undone, "a failed write did not roll back");
                        self.abandon(writer, &undone);
                    }
                    return Err(e);
                }
            }
        }
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
        let undo = match self.turn.unfinished.swap(UNDO_NONE, Ordering::SeqCst) {
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
            let _asking = self.turn.ask();
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
    pub(super) async fn writer(&self) -> tokio::sync::MutexGuard<'_, Writer> {
        let _asking = self.turn.ask();
        self.writer_unasked().await
    }

    /// [`Store::writer`] without asking the hub's watcher to give the lock up: the watcher's
    /// own way to it.
    pub(super) async fn writer_unasked(&self) -> tokio::sync::MutexGuard<'_, Writer> {
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

    pub(super) fn offline(&self) -> Error {
        Error::Offline {
            host: self.location.to_string(),
        }
    }

    /// `result` of work on the writer's connection as the caller should see it. A lost
    /// connection is dropped, so the next use connects again, and on a server it is
    /// [`Error::Offline`].
    pub(super) fn settle<T>(&self, writer: &mut Writer, result: Result<T>) -> Result<T> {
        result.map_err(|e| {
            if e.is_disconnect() {
                self.abandon(writer, &e);
            }
            match (&self.location, e) {
                (Location::Server(url), Error::ServerFull { .. }) => Error::ServerFull {
                    host: Some(url.host()),
                },
                (Location::Server(url), e) if e.is_disconnect() => {
                    Error::Offline { host: url.host() }
                }
                (_, e) => e,
            }
        })
    }

    /// The writer's connection, connecting again when the last one was lost.
    pub(super) async fn connected<'w>(
        &self,
        writer: &'w mut Writer,
    ) -> Result<&'w mut sql::Connection> {
        writer.used = std::time::Instant::now();
        writer.tidy().await;
        if writer.conn.is_none() {
            let conn = reconnect(&self.location).await.inspect_err(|e| {
                if matches!(e, Error::ServerFull { .. }) {
                    self.full.store(true, Ordering::Relaxed);
                }
            })?;
            self.full.store(false, Ordering::Relaxed);
            writer.conn = Some(conn);
        }
        writer.conn.as_mut().ok_or_else(|| self.offline())
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
            sql::Connection::Listening(conn) => {
                postgres::open_write(conn.connection().await?, joining, origin).await
            }
        }
    }

    /// Ends a write's part: the change rows it logged since `start`, in seq order, marked with
    /// `origin` and, on a file, `author`; its savepoint released when `joining`; the transaction committed if `commit`.
    async fn finish_write(
        &mut self,
        joining: bool,
        commit: bool,
        origin: &str,
        author: &str,
        start: i64,
    ) -> Result<Vec<ChangeRow>> {
        match self {
            // A server's trigger writes the author from the session itself.
            sql::Connection::Direct(conn) => {
                sqlite::finish_write(conn, joining, commit, origin, author, start).await
            }
            sql::Connection::Postgres(conn) => {
                postgres::finish_write(conn, joining, commit, start).await
            }
            sql::Connection::Listening(conn) => {
                postgres::finish_write(conn.connection().await?, joining, commit, start).await
            }
        }
    }
}

/// How long the writer's connection to a server may sit unused before it is closed, unless it
/// is the hub's listener: an idle machine then holds only that one, and a store without a hub
/// (the command line, a second copy of Tandem) none.
pub(super) const IDLE_CLOSE: std::time::Duration = std::time::Duration::from_secs(5);

/// Closes the writer's connection to a server once it has been idle for [`IDLE_CLOSE`], until
/// the store is gone. A write under way, or a transaction writes share, keeps it.
pub(super) async fn close_when_idle(writer: std::sync::Weak<tokio::sync::Mutex<Writer>>) {
    let mut ticks = tokio::time::interval(IDLE_CLOSE);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let Ok(mut held) = writer.try_lock() else {
            continue;
        };
        let listening = matches!(held.conn, Some(sql::Connection::Listening(_)));
        if listening || held.group.is_some() || held.used.elapsed() < IDLE_CLOSE {
            continue;
        }
        let Some(conn) = held.conn.take() else {
            continue;
        };
        drop(held);
        if let Err(e) = conn.close().await {
            tracing::debug!(error = %e, "an idle connection did not close cleanly");
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

impl Store {
    /// Marks a queued change the server refused (`origin.queued`) as processed without
    /// applying it, so the changes after it go on; [`Error::Applied`] when it was already.
    pub async fn pass_queued(&self, origin: &Origin) -> Result<()> {
        if origin.queued.is_none() {
            return Err(Error::invalid(
                "queued",
                "only a queued change can be passed over",
            ));
        }
        self.write(origin, async |_: &mut Conn<'_>| Ok(())).await?;
        Ok(())
    }
}

/// Puts `mutation` at the end of this machine's outbox, in the transaction that applies it to
/// the copy: the next number, never one used before.
async fn enqueue(conn: &mut Conn<'_>, mutation: &str) -> Result<()> {
    let next: Option<i64> = query("SELECT next FROM outbox_machine")
        .scalar_optional(&mut *conn)
        .await?;
    let number = match next {
        Some(next) => next,
        None => {
            query("INSERT INTO outbox_machine (id, next) VALUES ($1, 1)")
                .bind(uuid::Uuid::now_v7().to_string())
                .execute(&mut *conn)
                .await?;
            1
        }
    };
    let waiting: i64 = query("SELECT count(*) FROM outbox WHERE state = 'waiting'")
        .scalar(&mut *conn)
        .await?;
    if waiting >= crate::store::OUTBOX_LIMIT {
        return Err(Error::invalid(
            "outbox",
            format!(
                "{waiting} changes are waiting for the server already, the most this machine \
                 keeps: nothing was changed"
            ),
        ));
    }
    query("INSERT INTO outbox (number, mutation, made_at) VALUES ($1, $2, $3)")
        .bind(number)
        .bind(mutation)
        .bind(crate::store::now_ms())
        .execute(&mut *conn)
        .await?;
    query("UPDATE outbox_machine SET next = $1")
        .bind(number + 1)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes number `queued.number` of its machine's queued changes as applied, in the transaction
/// that applies it: refused as [`Error::Applied`] when the server recorded it already (its
/// answer was lost and it came again), and as a gap when one before it is missing.
async fn claim(conn: &mut Conn<'_>, queued: &Queued) -> Result<()> {
    if conn.dialect() != crate::store::Dialect::Postgres {
        return Err(Error::invalid(
            "queued",
            "a file has no outbox: its changes are written as they are made",
        ));
    }
    query("INSERT INTO replays (machine) VALUES ($1) ON CONFLICT (machine) DO NOTHING")
        .bind(&queued.machine)
        .execute(&mut *conn)
        .await?;
    // The row is locked to the end of the transaction: two replays of one machine take turns.
    let last: Option<i64> = query("SELECT last FROM replays WHERE machine = $1 FOR UPDATE")
        .bind(&queued.machine)
        .scalar_optional(&mut *conn)
        .await?;
    let Some(last) = last else {
        return Err(Error::Forbidden {
            reason: "that machine's queue is someone else's; nothing was changed".into(),
        });
    };
    if queued.number <= last {
        return Err(Error::Applied {
            number: queued.number,
        });
    }
    if queued.number != last + 1 {
        return Err(Error::invalid(
            "queued",
            format!(
                "change {} of this machine comes after {last}: the ones between are missing; \
                 nothing was changed",
                queued.number
            ),
        ));
    }
    query("UPDATE replays SET last = $2 WHERE machine = $1")
        .bind(&queued.machine)
        .bind(queued.number)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{Actor, TaskId};
    use crate::store::sql::query;
    use crate::store::testing::{self, add, two_processes};
    use crate::store::NewTask;

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
    pub(in crate::store) async fn queued_writes_share_a_commit(t: testing::TestStore) {
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
    pub(in crate::store) async fn a_write_abandoned_halfway_leaves_nothing(t: testing::TestStore) {
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
}
