//! What only a file does: opening it, its migrations, the write lock, stamping origins, and
//! noticing other processes' commits.

use std::convert::Infallible;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Connection as _;
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::store::sql::direct::{self, BUSY_TIMEOUT};
use crate::store::sql::{query, Conn, Connection, Pool};
use crate::store::{last_seq, ChangeRow, Store};

/// How often the watcher polls `PRAGMA data_version` when the file is watched too: only for
/// the writes a file watch misses (another machine's, on a network file system).
const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// Readers in the pool. WAL lets them read beside the writer; two cover a window's snapshot
/// while the log is read for another.
const READERS: u32 = 4;

/// The change log's columns, in [`ChangeRow`]'s order.
pub(in crate::store) const CHANGE_SELECT: &str =
    "SELECT seq, op, entity, entity_id, project_id, data, previous, origin, author, at FROM changes";

/// The migrations, embedded in the binary.
pub(in crate::store) static MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("src-tauri/migrations/sqlite");

/// Opens (creating if need be) the file at `path` and brings its schema up to date: the
/// writer's connection and the readers' pool.
pub(in crate::store) async fn open(path: &Path) -> Result<(Connection, Pool)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            tracing::error!(dir = %dir.display(), error = %e, "cannot create the data folder");
            Error::Storage(sqlx::Error::Io(e))
        })?;
    }
    let mut conn = direct::open(path)?;
    if !is_current(&mut conn).await {
        migrate(path).await?;
    }
    // Connected on first use: opening one costs about a millisecond, a good part of a command
    // line call, and a call that only writes needs none.
    let readers = SqlitePoolOptions::new()
        .max_connections(READERS)
        .connect_lazy_with(options(path)?);
    Ok((Connection::Direct(conn), Pool::Sqlite(readers)))
}

/// The writer's connection again, after the last one failed.
pub(in crate::store) async fn reconnect(path: &Path) -> Result<Connection> {
    Ok(Connection::Direct(direct::open(path)?))
}

/// A connection that can only read, and creates nothing: not the file, not its companions.
pub(in crate::store) async fn connect_read_only(path: &Path) -> Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    Ok(SqliteConnection::connect_with(&options).await?)
}

fn options(path: &Path) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL is durable against application crashes and only a power loss can
        // lose the last commits; it keeps an fsync off every write.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT))
}

/// Applies the embedded migrations, on a connection of sqlx's, which keeps their record. Two
/// processes opening a new file at once may race; the loser finds the work done on its next
/// try.
async fn migrate(path: &Path) -> Result<()> {
    let mut conn = SqliteConnection::connect_with(&options(path)?).await?;
    let mut tries = 0;
    loop {
        match MIGRATOR.run(&mut conn).await {
            Ok(()) => break,
            Err(e) if tries < 3 => {
                tracing::warn!(error = %e, "migration failed, trying again");
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

/// Makes the file at `path` as a release whose newest migration came before `version` left it:
/// the schema of that time, with no board yet.
#[cfg(test)]
pub(crate) async fn file_as_before(path: &Path, version: i64) -> Result<()> {
    let migrations: Vec<_> = MIGRATOR
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    let old = sqlx::migrate::Migrator {
        migrations: migrations.into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let mut conn = SqliteConnection::connect_with(&options(path)?).await?;
    old.run(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Whether the file's newest applied migration is the newest this binary has. Most opens are
/// a command line call: one query tells, without reading the whole migration table.
async fn is_current(conn: &mut rusqlite::Connection) -> bool {
    let newest = MIGRATOR.iter().map(|m| m.version).max();
    let applied: Result<Option<i64>> =
        query("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .scalar(&mut Conn::Direct(conn))
            .await;
    matches!(applied, Ok(version) if version.is_some() && version == newest)
}

/// Opens a write: `BEGIN IMMEDIATE` (or, for a write joining an open transaction, its
/// savepoint), which holds the file's write lock, so the log's end, returned, is its start.
pub(in crate::store) async fn open_write(
    conn: &mut rusqlite::Connection,
    joining: bool,
) -> Result<i64> {
    if joining {
        direct::execute(conn, query("SAVEPOINT write"))?;
    } else {
        direct::begin(conn).await?;
    }
    last_seq(&mut Conn::Direct(conn)).await
}

/// Ends a write's part: the triggers wrote its change rows without an origin or an author (they
/// cannot know them), so stamp them and read them back in one statement; then release its savepoint when
/// it joined a transaction, and commit when asked to.
pub(in crate::store) async fn finish_write(
    conn: &mut rusqlite::Connection,
    joining: bool,
    commit: bool,
    origin: &str,
    author: &str,
    start: i64,
) -> Result<Vec<ChangeRow>> {
    let mut rows: Vec<ChangeRow> = query(
        "UPDATE changes SET origin = $1, author = $2 WHERE seq > $3
         RETURNING seq, op, entity, entity_id, project_id, data, previous, origin, author, at",
    )
    .bind(origin)
    .bind(author)
    .bind(start)
    .fetch_all(&mut Conn::Direct(conn))
    .await?;
    // RETURNING gives rows in no promised order.
    rows.sort_unstable_by_key(|row| row.seq);
    if joining {
        direct::execute(conn, query("RELEASE write"))?;
    }
    if commit {
        direct::commit(conn)?;
    }
    Ok(rows)
}

/// Publishes other connections' commits: wakes when the file or its WAL changes (inotify on
/// Linux), and polls `PRAGMA data_version` as the fallback, every `every` without a file watch
/// and every [`FALLBACK_POLL`] with one. The version changes only when another connection
/// commits, so a check reads no rows while nothing happens.
pub(in crate::store) async fn watch(
    store: &Store,
    path: &Path,
    every: Duration,
) -> Result<Infallible> {
    let mut conn = SqliteConnection::connect_with(&options(path)?).await?;
    let mut seen: i64 = data_version(&mut conn).await?;
    let woken = Arc::new(Notify::new());
    let watching = wake_on_change(path, woken.clone());
    let every = match &watching {
        Some(_) => every.max(FALLBACK_POLL),
        None => every,
    };
    // Commits made before that first reading would never change it: publish them now.
    store.catch_up().await?;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let after_a_change = tokio::select! {
            _ = ticks.tick() => false,
            () = woken.notified() => true,
        };
        // After a change, look a moment later: the instances linked to this hub send their own
        // commits within that moment (so the log holds nothing new to read and relay), the
        // writes of a burst fold into one look, and a writer that appended its frames to the
        // WAL (the event) has published the commit in the WAL's index. Look again if the first
        // look came too early.
        let retries: &[u64] = if after_a_change { &[5, 10] } else { &[0] };
        for wait in retries {
            tokio::time::sleep(Duration::from_millis(*wait)).await;
            let version = data_version(&mut conn).await?;
            if version != seen {
                seen = version;
                store.catch_up().await?;
                break;
            }
        }
    }
}

/// A watch on the folder of the file at `path` that wakes `woken` when the file or its WAL is
/// written or made; `None` (with a note in the log) where the system cannot watch files.
fn wake_on_change(path: &Path, woken: Arc<Notify>) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let name = path.file_name()?.to_owned();
    let mut wal = name.clone();
    wal.push("-wal");
    let folder = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let ours = event
            .paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == name || n == wal));
        if ours && matches!(event.kind, EventKind::Modify(_) | EventKind::Create(_)) {
            woken.notify_one();
        }
    };
    let watched = notify::recommended_watcher(handler).and_then(|mut watcher| {
        watcher.watch(&folder, RecursiveMode::NonRecursive)?;
        Ok(watcher)
    });
    match watched {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            tracing::info!(error = %e, "cannot watch the database file; polling it instead");
            None
        }
    }
}

async fn data_version(conn: &mut SqliteConnection) -> Result<i64> {
    query("PRAGMA data_version")
        .scalar(&mut Conn::Sqlite(conn))
        .await
}
