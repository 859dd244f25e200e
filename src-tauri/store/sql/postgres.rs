//! What only a server does: connecting (and refusing a database that is not Tandem's), its
//! migrations, the log's lock, and hearing other machines' commits through `LISTEN`.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::postgres::{PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::ConnectOptions as _;

use crate::config::ServerUrl;
use crate::error::{Error, Result};
use crate::store::sql::{query, Conn, Connection, Pool};
use crate::store::{ChangeRow, Store};

/// Readers in the pool. With the writer and a hub's listener, an instance holds at most four
/// connections, so thirty machines fit PostgreSQL's default `max_connections` of 100.
const READERS: u32 = 2;

/// The oldest server Tandem runs on: 15 is what it is tested on.
const OLDEST_SERVER: i64 = 150_000;

/// How long a connection attempt may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a connection of Tandem's may sit idle inside a transaction.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(10);

/// The `application_name` of a hub's listener, as `pg_stat_activity` shows it: a machine's one
/// connection that stays open.
pub const LISTENER: &str = "tandem listener";

/// The `application_name` of a reader's connection, which closes when idle.
pub const READER: &str = "tandem reader";

/// The channel the log's trigger notifies on every commit.
const CHANNEL: &str = "tandem";
/// The channel on which the server wakes listeners when what someone looks at changes.
const PRESENCE_CHANNEL: &str = "tandem_presence";

/// The advisory lock held while a database is checked and migrated (any number, fixed for all
/// of Tandem's versions: it spells "tandem").
const OPENING_LOCK: i64 = 0x74_61_6e_64_65_6d;

/// The tables whose presence marks a database as Tandem's.
const OWN_TABLES: [&str; 3] = ["_sqlx_migrations", "changes", "log_head"];

/// The change log's columns, in [`ChangeRow`]'s order; the JSON as text, as a file holds it.
pub(in crate::store) const CHANGE_SELECT: &str = "SELECT seq, op, entity, entity_id, project_id, \
     data::text AS data, previous::text AS previous, origin, author, at FROM changes";

/// The migrations, embedded in the binary.
pub(in crate::store) static MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("src-tauri/migrations/postgres");

/// Connects to the database at `url`, refuses it when it is not Tandem's (or empty) or the
/// server is too old, and brings its schema up to date: the writer's connection and the
/// readers' pool.
pub(in crate::store) async fn open(url: &ServerUrl) -> Result<(Connection, Pool)> {
    let mut conn = connect(url).await?;
    refuse_old(&mut conn, url).await?;
    // Machines opening a new database at once: one migrates while the others wait, so none
    // sees its half-made schema and takes it for someone else's tables. On an error the
    // connection, and so the lock, goes.
    query("SELECT pg_advisory_lock($1)")
        .bind(OPENING_LOCK)
        .execute(&mut Conn::Postgres(&mut conn))
        .await?;
    refuse_foreign(&mut conn, url).await?;
    migrate(&mut conn, url).await?;
    query("SELECT pg_advisory_unlock($1)")
        .bind(OPENING_LOCK)
        .execute(&mut Conn::Postgres(&mut conn))
        .await?;
    let readers = PgPoolOptions::new()
        .max_connections(READERS)
        .min_connections(0)
        .idle_timeout(super::super::write::IDLE_CLOSE)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_lazy_with(url.connect_options()?.application_name(READER));
    Ok((Connection::Postgres(conn), Pool::Postgres(readers, None)))
}

/// Brings the schema up to date, when it is not: a team's people have no right to change it,
/// so a schema that is already current is left alone, and one that is older or newer than this
/// Tandem knows is told in words that say who can act.
async fn migrate(conn: &mut PgConnection, url: &ServerUrl) -> Result<()> {
    let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let tables = tables(&mut Conn::Postgres(conn)).await?;
    let applied: Vec<i64> = if tables.iter().any(|t| t == "_sqlx_migrations") {
        query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .scalars(&mut Conn::Postgres(conn))
            .await?
    } else {
        Vec::new()
    };
    if applied.iter().any(|v| !known.contains(v)) {
        return Err(Error::Config {
            name: "TANDEM_DB",
            reason: format!(
                "{} holds a board from a newer Tandem: upgrade Tandem to use it",
                url.redacted()
            ),
        });
    }
    if applied.len() == known.len() {
        return Ok(());
    }
    MIGRATOR.run(&mut *conn).await.map_err(|e| match &e {
        sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(d))
            if d.code().as_deref() == Some("42501") =>
        {
            Error::Config {
                name: "TANDEM_DB",
                reason: format!(
                    "{} holds a board from an older Tandem, and only its owner may upgrade it: \
                     ask them to run `tandem team init` with this version; nothing was written",
                    url.redacted()
                ),
            }
        }
        _ => Error::Migrate(e),
    })
}

/// The writer's connection again, after the last one was lost.
pub(in crate::store) async fn reconnect(url: &ServerUrl) -> Result<Connection> {
    Ok(Connection::Postgres(connect(url).await?))
}

/// Whether the server at `url` takes connections on its socket (TCP, or a Unix socket in a
/// folder), within `limit`, without logging in: a check that holds no connection.
pub(in crate::store) async fn reachable(url: &ServerUrl, limit: Duration) -> bool {
    let Ok(options) = url.connect_options() else {
        return false;
    };
    let port = options.get_port();
    let socket = options.get_socket().cloned().or_else(|| {
        let host = options.get_host();
        host.starts_with('/')
            .then(|| std::path::PathBuf::from(host))
    });
    let probe = async {
        match socket {
            #[cfg(unix)]
            Some(dir) => tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}")))
                .await
                .is_ok(),
            #[cfg(not(unix))]
            Some(_) => false,
            None => tokio::net::TcpStream::connect((options.get_host(), port))
                .await
                .is_ok(),
        }
    };
    tokio::time::timeout(limit, probe).await.unwrap_or(false)
}

/// Refuses a server older than Tandem runs on.
pub(in crate::store) async fn refuse_old(conn: &mut PgConnection, url: &ServerUrl) -> Result<()> {
    let version: String = query("SELECT current_setting('server_version_num')")
        .scalar(&mut Conn::Postgres(conn))
        .await?;
    if version.parse::<i64>().unwrap_or(0) >= OLDEST_SERVER {
        return Ok(());
    }
    let shown: String = query("SELECT current_setting('server_version')")
        .scalar(&mut Conn::Postgres(conn))
        .await?;
    Err(Error::Config {
        name: "TANDEM_DB",
        reason: format!(
            "{} runs PostgreSQL {shown}; Tandem needs 15 or newer",
            url.host()
        ),
    })
}

/// The tables of the connection's schema, by name.
pub(in crate::store) async fn tables(conn: &mut Conn<'_>) -> Result<Vec<String>> {
    query(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .scalars(conn)
    .await
}

/// One connection to `url`, with failures in words a user can act on. A transaction left idle
/// (a write whose task died) is ended by the server after [`IDLE_IN_TRANSACTION`], so it can
/// never hold the log's lock, and every machine's writes, for longer.
pub(in crate::store) async fn connect(url: &ServerUrl) -> Result<PgConnection> {
    let options = writer_options(url, "tandem")?;
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(refusal(e, url)),
        Err(_) => Err(Error::Offline { host: url.host() }),
    }
}

/// How the store's own connections (the writer's, a hub's listener) log in, shown as
/// `application_name` `app`.
fn writer_options(url: &ServerUrl, app: &str) -> Result<sqlx::postgres::PgConnectOptions> {
    Ok(url
        .connect_options()?
        .application_name(app)
        .options([(
            "idle_in_transaction_session_timeout",
            IDLE_IN_TRANSACTION.as_millis().to_string(),
        )])
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// Why a server would not let Tandem in, named for the user; the URL's password is never part
/// of it.
fn refusal(error: sqlx::Error, url: &ServerUrl) -> Error {
    let config = |reason: String| Error::Config {
        name: "TANDEM_DB",
        reason,
    };
    match &error {
        sqlx::Error::Database(e) => match e.code().as_deref() {
            // invalid_password
            Some("28P01") => config(format!(
                "{} refused the user name or password ({})",
                url.host(),
                e.message()
            )),
            // invalid_authorization_specification: pg_hba.conf has no line for us
            Some("28000") => config(format!(
                "{} does not let this connection in ({})",
                url.host(),
                e.message()
            )),
            // invalid_catalog_name
            Some("3D000") => config(format!("{}: {}", url.redacted(), e.message())),
            // too_many_connections: "sorry, too many clients already", or "remaining connection
            // slots are reserved"
            Some("53300") => Error::ServerFull {
                host: Some(url.host()),
            },
            // insufficient_privilege: a login that is not one of the team's
            Some("42501") => config(format!(
                "{} does not let this login use the board ({}): ask the board's owner to run \
                 `tandem team add` for it",
                url.redacted(),
                e.message()
            )),
            _ => offline_or_storage(error, url),
        },
        // rustls reports a certificate it cannot verify as invalid data on the stream.
        sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => tls_failed(e, url),
        sqlx::Error::Tls(e) => tls_failed(e, url),
        _ => offline_or_storage(error, url),
    }
}

/// A TLS handshake that failed, with what to do when the certificate was the trouble.
fn tls_failed(error: &dyn std::fmt::Display, url: &ServerUrl) -> Error {
    let e = error.to_string();
    let hint = if e.contains("certificate") {
        "; give the server's CA with sslrootcert=FILE"
    } else {
        ""
    };
    Error::Config {
        name: "TANDEM_DB",
        reason: format!("TLS with {} failed: {e}{hint}", url.host()),
    }
}

/// A server that is down, starting or unreachable is [`Error::Offline`]; anything else a
/// storage failure.
fn offline_or_storage(error: sqlx::Error, url: &ServerUrl) -> Error {
    let error = Error::Storage(error);
    if error.is_disconnect() {
        tracing::warn!(server = %url, error = %error, "the server cannot be reached");
        Error::Offline { host: url.host() }
    } else {
        error
    }
}

/// Refuses a database that holds tables but not Tandem's: Tandem must never create its tables
/// beside another application's.
async fn refuse_foreign(conn: &mut PgConnection, url: &ServerUrl) -> Result<()> {
    let tables = tables(&mut Conn::Postgres(conn)).await?;
    let ours = OWN_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t));
    if tables.is_empty() || ours {
        return Ok(());
    }
    let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
    Err(Error::Config {
        name: "TANDEM_DB",
        reason: format!(
            "{} holds other tables than Tandem's ({}{}); give Tandem a database of its own",
            url.redacted(),
            shown.join(", "),
            if tables.len() > 3 { ", ..." } else { "" }
        ),
    })
}

/// Opens a write: begins the transaction (or, for a write joining an open one, its savepoint),
/// sets the write's origin for the log's trigger and takes the log's lock, in one round trip.
/// Every write queues on that lock, so its seqs follow every earlier commit's, and the log's end
/// is its start, which this returns.
pub(in crate::store) async fn open_write(
    conn: &mut PgConnection,
    joining: bool,
    origin: &str,
) -> Result<i64> {
    let opening = if joining { "SAVEPOINT write" } else { "BEGIN" };
    let start = "SELECT set_config('tandem.origin', $1, true), seq FROM log_head FOR UPDATE";
    let rows = match dollar_quoted(origin) {
        Some(literal) => {
            simple(
                conn,
                format!("{opening}; {}", start.replace("$1", &literal)),
            )
            .await?
        }
        // An origin that holds the quote's tag (no origin Tandem makes does): two round trips.
        None => {
            simple::<(i64,)>(conn, opening.to_owned()).await?;
            vec![
                query(start)
                    .bind(origin)
                    .fetch_one(&mut Conn::Postgres(conn))
                    .await?,
            ]
        }
    };
    let (_, seq): (String, i64) = rows
        .into_iter()
        .next()
        .ok_or(Error::Storage(sqlx::Error::RowNotFound))?;
    Ok(seq)
}

/// Ends a write's part: reads back the change rows it logged after `start` (the trigger stamped
/// them with its origin), releases its savepoint when it joined a transaction, and commits when
/// asked to, in one round trip.
pub(in crate::store) async fn finish_write(
    conn: &mut PgConnection,
    joining: bool,
    commit: bool,
    start: i64,
) -> Result<Vec<ChangeRow>> {
    let release = if joining { "; RELEASE write" } else { "" };
    let commit = if commit { "; COMMIT" } else { "" };
    simple(
        conn,
        format!("{CHANGE_SELECT} WHERE seq > {start} ORDER BY seq{release}{commit}"),
    )
    .await
}

/// `text` as a dollar-quoted literal, which PostgreSQL reads as is; `None` if it holds the tag.
fn dollar_quoted(text: &str) -> Option<String> {
    const TAG: &str = "$origin$";
    (!text.contains(TAG)).then(|| format!("{TAG}{text}{TAG}"))
}

/// Runs `statements` (no parameters) in one round trip, PostgreSQL's simple protocol, and
/// returns the rows they return.
async fn simple<T: crate::store::sql::Row>(
    conn: &mut PgConnection,
    statements: String,
) -> Result<Vec<T>> {
    let rows = sqlx::Executor::fetch_all(&mut *conn, statements.as_str()).await?;
    rows.iter()
        .map(|row| T::from_row(row).map_err(Error::Storage))
        .collect()
}

/// A hub's one connection to a server: the store writes and reads the log through it, and
/// between statements it listens for the log's notifications. An idle machine so costs the
/// server one connection, and a write never waits for a login.
pub(crate) struct Listening {
    listener: PgListener,
    /// The listener's pool of one, closed with it so the server sees the session end.
    pool: PgPool,
}

impl Listening {
    pub(crate) fn listener(&mut self) -> &mut PgListener {
        &mut self.listener
    }

    /// The connection itself, for the statements that need one.
    pub(crate) async fn connection(&mut self) -> Result<&mut PgConnection> {
        Ok(sqlx::Acquire::acquire(&mut self.listener).await?)
    }

    pub(crate) async fn close(self) {
        drop(self.listener);
        self.pool.close().await;
    }
}

/// A connection to `url` that listens on the log's channel.
async fn listen(url: &ServerUrl) -> Result<Listening> {
    let options = writer_options(url, LISTENER)?;
    // A pool of one, which the listener takes its connection from: sqlx's listener is made
    // from a pool.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_lazy_with(options);
    let mut listener = match PgListener::connect_with(&pool).await {
        Ok(listener) => listener,
        Err(e @ sqlx::Error::PoolTimedOut) => return Err(super::waited_in_vain(&pool, e).await),
        Err(e) => return Err(refusal(e, url)),
    };
    // A lost connection ends the watch, which connects again with backoff: the listener's own
    // reconnecting would hide the loss from the writer sharing it.
    listener.eager_reconnect(false);
    listener.listen_all([CHANNEL, PRESENCE_CHANNEL]).await?;
    Ok(Listening { listener, pool })
}

/// Whether a notification tells of a commit past `published_to`: its payload is the first
/// seq the commit logged (one that cannot be read counts as news). One about presence is
/// passed on, and is no commit.
fn news(store: &Store, notification: &sqlx::postgres::PgNotification, published_to: i64) -> bool {
    if notification.channel() == PRESENCE_CHANNEL {
        store.presence_woke();
        return false;
    }
    notification
        .payload()
        .parse::<i64>()
        .map_or(true, |seq| seq > published_to)
}

/// Listens for the log's notifications and publishes what other connections committed; reads
/// the log every `every` as well, since a notification sent while no one listened is lost.
///
/// The listener is the writer's connection: while it waits it holds the writer's lock, and
/// gives it up the moment anyone asks for it ([`Turn::wanted`]); notifications that arrive
/// during their statements wait in its buffer.
///
/// [`Turn::wanted`]: crate::store::write::Turn
pub(in crate::store) async fn watch(
    store: &Store,
    url: &ServerUrl,
    every: Duration,
) -> Result<Infallible> {
    let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Commits made before the listener was in place sent their notification to no one.
    let mut due = true;
    loop {
        let mut writer = store.writer_unasked().await;
        if !matches!(writer.conn, Some(Connection::Listening(_))) {
            // Connecting may take a while: the writer, and reads, go on meanwhile.
            drop(writer);
            let listening = match listen(url).await {
                // With one slot left, a machine must not need two: the listener takes the
                // place of the connection the store has.
                Err(Error::ServerFull { .. }) => {
                    let plain = store.writer_unasked().await.conn.take();
                    close_quietly(plain).await;
                    listen(url).await
                }
                listening => listening,
            }
            .inspect_err(|e| {
                if matches!(e, Error::ServerFull { .. }) {
                    store.full.store(true, Ordering::Relaxed);
                }
            })?;
            writer = store.writer_unasked().await;
            // The listener takes over from the connection the store had.
            let plain = writer.conn.replace(Connection::Listening(listening));
            close_quietly(plain).await;
            due = true;
        }
        writer.tidy().await;
        let published_to = writer.published_to;
        let Some(Connection::Listening(listening)) = writer.conn.as_mut() else {
            continue;
        };
        while let Some(notification) = listening.listener().next_buffered() {
            due |= news(store, &notification, published_to);
        }
        if due {
            let read = store.catch_up_locked(&mut writer).await;
            store.settle(&mut writer, read)?;
            due = false;
            continue;
        }
        // Asked from here on, it hears; asked before, it sees the count.
        let asked = store.turn.wanted.notified();
        tokio::pin!(asked);
        asked.as_mut().enable();
        if store.turn.asked() {
            continue;
        }
        let waited = tokio::select! {
            biased;
            () = asked => Waited::Asked,
            received = listening.listener().try_recv() => Waited::Received(received),
            _ = ticks.tick() => Waited::Tick,
        };
        match waited {
            Waited::Asked => {}
            Waited::Tick => due = true,
            Waited::Received(Ok(Some(notification))) => {
                due = news(store, &notification, published_to)
            }
            // The connection is gone: the next use connects again.
            Waited::Received(Ok(None)) => {
                writer.conn = None;
                return Err(Error::Offline { host: url.host() });
            }
            Waited::Received(Err(e)) => return store.settle(&mut writer, Err(e.into())),
        }
    }
}

/// Closes `conn`, if there is one; a connection that does not close cleanly is gone anyway.
async fn close_quietly(conn: Option<Connection>) {
    if let Some(conn) = conn {
        if let Err(e) = conn.close().await {
            tracing::debug!(error = %e, "a connection did not close cleanly");
        }
    }
}

/// What the watcher's wait ended with.
enum Waited {
    /// Someone asked for the writer's lock.
    Asked,
    Received(std::result::Result<Option<sqlx::postgres::PgNotification>, sqlx::Error>),
    /// Time to read the log anyway.
    Tick,
}
