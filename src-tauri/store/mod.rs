//! The database, a file (SQLite) or a server (PostgreSQL): connections, migrations, the write
//! path and the change log.
//!
//! Owns every SQL statement, in four parts:
//! - [`write`]: the one write path ([`Store::write`]), with group commit;
//! - [`sql`]: the one door to either database (a statement and its values), and what only a
//!   file (`sql::sqlite`, `sql::direct`, `sql::checkpoint`) or a server (`sql::postgres`) does;
//! - [`board`]: the board's entities (projects and columns, tasks, checklists, labels, the
//!   archive, undoing a deletion, search), their rules written once against [`sql::Conn`];
//! - [`whole`]: whole-board operations (backup, restore, copy between databases, import,
//!   checking what a database holds);
//! - [`log`]: the change log, its readers, and publishing what others committed;
//! - [`people`]: who a person is on the database, and their name and colour.
//!
//! The store imports no file format: an import hands it plain board data
//! ([`crate::model::portable`]). Every write is one transaction that takes the log's write lock first
//! (`BEGIN IMMEDIATE` on a file, the `log_head` row on a server): it validates, applies, lets the
//! triggers append the change rows (I1), stamps them with its origin, commits, and publishes
//! them on the bus before the next writer of this process may start, so the bus carries changes
//! in seq order. A write that fails rolls back whole: nothing written, nothing logged (I4). It
//! must never hold its transaction across an await on another task.

mod board;
mod log;
mod members;
mod news;
mod people;
mod presence;
mod sql;
#[cfg(test)]
mod tests;
mod whole;
mod write;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

pub use board::search::{Search, DEFAULT_LIMIT as SEARCH_LIMIT};
pub use board::task::{NewTask, Step, TaskEdit};
pub use board::{CardTexts, ColumnEdit};
pub use people::{color_for, os_login, PersonEdit};
pub use sql::Dialect;
pub use whole::backup::{backup_name, DAILY_KEPT};
pub use whole::check::{check, health, Connections, Found, Health};
pub use whole::copy::{copy, Copied};
pub use whole::import::Imported;
pub use whole::mirror::{copy_path, Mirrored};
pub use whole::outbox::{Opened, Replayed, OUTBOX_LIMIT};
pub use whole::restore::Restored;

use log::{change_select, changes_between, last_seq, ChangeRow};
use sql::checkpoint;
use write::Writer;

use crate::bus::Bus;
use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{
    Column, Comment, DatabaseStatus, Entity, EntityKind, Label, Origin, Project, Subtask, Task,
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
    /// the database against each other); changes are published in seq order when their
    /// transaction commits.
    writer: Arc<Mutex<Writer>>,
    /// Writes waiting for the writer's lock. While any wait, a finished write leaves its
    /// transaction open for them to join (group commit).
    queued: AtomicUsize,
    /// Write transactions this store committed.
    commits: AtomicU64,
    /// Where committed changes go.
    bus: Bus,
    /// The part of what the bus carried that was read from the log: other programs' and other
    /// machines' commits, and whatever a relay did not bring. A hub relays it to its peers.
    from_log: Bus,
    /// Where the database is, for the watcher's own connection.
    location: Location,
    /// A file's WAL checkpoints, off the write path; `None` on a server.
    checkpoints: Option<checkpoint::Checkpointer>,
    /// Whether the server last refused this store a connection for lack of slots: its state
    /// is "full" until a connection succeeds again.
    full: AtomicBool,
    /// How the writer's connection changes hands between writes, reads and a hub's watcher.
    turn: Arc<write::Turn>,
    /// The person this store writes as: the server's `session_user`, or the OS login on a
    /// file. On a file the store stamps it on its changes; on a server the trigger writes it.
    login: String,
    /// Counts the server's wake-ups about presence (someone's look changed), for whoever
    /// shows who is here.
    presence_woken: tokio::sync::watch::Sender<u64>,
    /// For a store on this machine's copy of a server board, opened while the server is away:
    /// the server. Such a store reads; its writes are refused as offline.
    copy_of: Option<crate::config::ServerUrl>,
}

impl Store {
    /// Opens the database at `location`, creating a file if need be, brings its schema up to
    /// date and, for a new database, creates the Inbox project. A file or server database that
    /// holds someone else's tables is refused untouched.
    pub async fn open(location: impl Into<Location>, origin: &Origin) -> Result<Store> {
        let location = location.into();
        let (mut conn, mut readers) = match &location {
            Location::File(path) => sql::sqlite::open(path).await?,
            Location::Server(url) => sql::postgres::open(url).await?,
        };
        let published_to = last_seq(&mut conn.conn()).await?;
        let login = people::login(&mut conn.conn()).await?;
        people::introduce(&mut conn.conn(), &login).await?;
        let writer = Arc::new(Mutex::new(Writer::new(conn, published_to)));
        let turn = Arc::new(write::Turn::default());
        readers.lend(&writer, &turn);
        let store = Store {
            login,
            readers,
            writer,
            turn,
            queued: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            bus: Bus::new(),
            from_log: Bus::with_capacity(FROM_LOG_CAPACITY),
            checkpoints: match &location {
                Location::File(path) => Some(checkpoint::Checkpointer::new(path)),
                Location::Server(_) => None,
            },
            location,
            full: AtomicBool::new(false),
            presence_woken: tokio::sync::watch::Sender::new(0),
            copy_of: None,
        };
        if let Location::Server(_) = &store.location {
            // An idle machine holds no connection of its own but its hub's listener.
            tokio::spawn(write::close_when_idle(Arc::downgrade(&store.writer)));
        }
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

    /// Has this process's commits checkpointed when it closes the file, not in the background
    /// (see [`checkpoint::Checkpointer::at_close_only`]): for a command that writes and ends.
    pub fn checkpoint_at_close(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.at_close_only();
        }
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

    /// Whether the database answers: a file always does; a server must take connections on its
    /// socket within [`PING_LIMIT`], and is full once it refused one for lack of slots, until
    /// one succeeds again.
    pub async fn ping(&self) -> DatabaseStatus {
        if let Some(url) = &self.copy_of {
            return DatabaseStatus::Offline {
                host: url.host(),
                waiting: self.outbox_waiting().await.unwrap_or(0),
                copy: true,
                sending: false,
            };
        }
        let Location::Server(url) = &self.location else {
            return DatabaseStatus::Online;
        };
        if !self.full.load(Ordering::Relaxed) {
            // Asked every second by every window's copy: a probe of the server's socket holds no
            // connection, so an idle machine costs the server none for it.
            return if sql::postgres::reachable(url, PING_LIMIT).await {
                DatabaseStatus::Online
            } else {
                DatabaseStatus::Offline {
                    host: url.host(),
                    waiting: 0,
                    copy: false,
                    sending: false,
                }
            };
        }
        // Full when last asked: only logging in tells whether a slot has freed up (the pool
        // would wait for one), so one connection is made, and closed at once.
        match tokio::time::timeout(PING_LIMIT, sql::postgres::connect(url)).await {
            Ok(Ok(conn)) => {
                if let Err(e) = sqlx::Connection::close(conn).await {
                    tracing::debug!(error = %e, "a probing connection did not close cleanly");
                }
                self.full.store(false, Ordering::Relaxed);
                DatabaseStatus::Online
            }
            Ok(Err(Error::ServerFull { .. })) => DatabaseStatus::Full { host: url.host() },
            Ok(Err(_)) | Err(_) => DatabaseStatus::Offline {
                host: url.host(),
                waiting: 0,
                copy: false,
                sending: false,
            },
        }
    }
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
    Comment => "comments",
);

impl Store {
    /// Entity `id` of `kind` as it is now, or `NotFound`.
    pub async fn current(&self, kind: EntityKind, id: &str) -> Result<Entity> {
        let mut conn = self.readers.acquire().await?;
        let mut conn = conn.conn();
        let conn = &mut conn;
        Ok(match kind {
            EntityKind::Project => row::<Project>(conn, id).await?.into_entity(),
            EntityKind::Column => row::<Column>(conn, id).await?.into_entity(),
            EntityKind::Task => row::<Task>(conn, id).await?.into_entity(),
            EntityKind::Subtask => row::<Subtask>(conn, id).await?.into_entity(),
            EntityKind::Label => row::<Label>(conn, id).await?.into_entity(),
            EntityKind::Comment => row::<Comment>(conn, id).await?.into_entity(),
            other => {
                return Err(Error::invalid(
                    "entity",
                    format!("a {other:?} has no version of its own"),
                ))
            }
        })
    }
}

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
pub fn now_ms() -> i64 {
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

    /// Two stores on one file: as two processes would share it.
    pub async fn two_processes() -> (tempfile::TempDir, std::sync::Arc<Store>, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        let here = Store::open(&path, &Origin::new("here", Actor::Gui))
            .await
            .unwrap();
        let there = Store::open(&path, &Origin::new("there", Actor::Cli))
            .await
            .unwrap();
        (dir, std::sync::Arc::new(here), there)
    }

    /// Adds a task titled `title` as `instance` would, and returns the log's seq after it.
    pub async fn add(store: &Store, instance: &str, title: &str) -> i64 {
        let project = store.first_project().await.unwrap().id;
        let origin = Origin::new(instance, Actor::Cli);
        let new = super::NewTask {
            project_id: project,
            column_id: None,
            title: title.into(),
        };
        store.create_task(&origin, new).await.unwrap();
        store.seq().await.unwrap()
    }

    /// A store on the server database at `url`, as the login the URL names.
    #[cfg(unix)]
    pub async fn server_store_at(url: &str) -> TestStore {
        open(Location::parse(url).expect("a server URL"), None).await
    }

    /// A store on a new database of the shared test server.
    #[cfg(unix)]
    pub async fn server_store() -> TestStore {
        let url = crate::testing::TestServer::shared().database().url;
        open(Location::parse(&url).expect("a server URL"), None).await
    }
}
