//! The change log and its readers.

use std::time::Duration;

use super::sql::{postgres, query, sqlite, Conn, Dialect};
use super::write::Writer;
use super::Store;
use crate::bus::Committed;
use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{Batch, Change, EntityKind, ProjectId, TaskId};

impl Store {
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

    /// A task's timeline from the change log, oldest first: the task's own changes, its
    /// subtasks' and its labels', whoever made them (each change's origin says which window,
    /// instance or program) and when. A task that never existed is `NotFound`; a deleted one
    /// still has its history.
    pub async fn task_history(&self, task: &TaskId) -> Result<Vec<Change>> {
        let select = change_select(self.dialect());
        let rows: Vec<ChangeRow> = query(format!(
            "{select}
             WHERE (entity = 'task' AND entity_id = $1)
                OR (entity IN ('task_label', 'task_assignee')
                    AND substr(entity_id, 1, length($1) + 1) = $1 || ':')
                OR (entity IN ('subtask', 'comment')
                    AND $1 IN (data ->> 'task_id', previous ->> 'task_id'))
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
        let read = self.catch_up_locked(&mut writer).await;
        self.settle(&mut writer, read)
    }

    /// [`Store::catch_up`] with the writer's lock held, reading through its connection.
    pub(super) async fn catch_up_locked(&self, writer: &mut Writer) -> Result<usize> {
        let published_to = writer.published_to;
        let conn = self.connected(writer).await?;
        let changes = changes_between(&mut conn.conn(), published_to, i64::MAX).await?;
        if let (Some(checkpoints), false) = (&self.checkpoints, changes.is_empty()) {
            // Another process committed: its pages are in the WAL too.
            checkpoints.wake();
        }
        Ok(self.publish_read(&mut writer.published_to, changes))
    }

    /// Takes in a batch relayed by the hub. On a file, when it carries every change after what
    /// the bus has carried, up to its end, it is published as is; otherwise (changes coalesced
    /// away, or others' commits it does not hold) the log fills in. On a server the hub relays
    /// only what its own store published (its commits and its reads of the log, never a peer's
    /// word: a hand-written frame could claim any change), so a batch is taken as the whole of
    /// its range: a seq before it that this store has not seen is one the person may not see.
    /// Either way the bus gets each change once, in seq order. Returns how many changes it
    /// published.
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
        if let Location::Server(_) = &self.location {
            let changes = fresh.into_iter().cloned().collect();
            let published = self.publish_to(&mut writer.published_to, changes).len();
            writer.published_to = writer.published_to.max(batch.to_seq);
            return Ok(published);
        }
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

/// `SELECT` of the change log's columns, in [`ChangeRow`]'s order, `FROM changes`.
pub(super) fn change_select(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => sqlite::CHANGE_SELECT,
        Dialect::Postgres => postgres::CHANGE_SELECT,
    }
}

/// The changes with `after < seq <= upto`, in order.
pub(super) async fn changes_between(
    conn: &mut Conn<'_>,
    after: i64,
    upto: i64,
) -> Result<Vec<Change>> {
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

/// The log's head: the last committed seq, whether or not the reader may see its change. On a
/// team's server a reader sees only some rows; the head tells a seq it may not see from one it
/// has not read yet, so no hidden change looks like a gap.
pub(super) async fn last_seq(conn: &mut Conn<'_>) -> Result<i64> {
    let head = match conn.dialect() {
        Dialect::Sqlite => "SELECT COALESCE(MAX(seq), 0) FROM changes",
        Dialect::Postgres => "SELECT seq FROM log_head",
    };
    query(head).scalar(conn).await
}

/// A `changes` row as stored.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct ChangeRow {
    pub(super) seq: i64,
    #[sqlx(try_from = "String")]
    pub(super) op: crate::model::Op,
    #[sqlx(try_from = "String")]
    pub(super) entity: crate::model::EntityKind,
    pub(super) entity_id: String,
    pub(super) project_id: Option<ProjectId>,
    pub(super) data: Option<String>,
    pub(super) previous: Option<String>,
    pub(super) origin: Option<String>,
    pub(super) author: Option<String>,
    pub(super) at: i64,
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
            author: row.author,
            at: row.at,
        })
    }
}

fn corrupt_log(seq: i64, error: serde_json::Error) -> Error {
    tracing::error!(seq, error = %error, "the change log holds a row that is not valid JSON");
    Error::Storage(sqlx::Error::Decode(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::sql::query;
    use crate::store::testing::{add, two_processes};

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
