//! The one door to either database: a statement and its values, run on SQLite or PostgreSQL.
//!
//! The store's rules are written once, against [`Conn`] and [`Pool`]; a statement is a
//! [`Query`], its values plain [`Value`]s that each driver binds natively. Statements are
//! written in the SQL both databases speak (`$1` parameters, `lower()` for case-insensitive
//! names, `IS NOT DISTINCT FROM`), so nearly every one exists once. The few that must differ are
//! chosen by [`Conn::dialect`] and live in [`sqlite`] and [`postgres`].
//!
//! Beside the door, what only one database does: a file's connections ([`sqlite`]), its writer
//! called directly on the writing thread ([`direct`]) and its WAL checkpoints ([`checkpoint`]);
//! a server's connections, log lock and `LISTEN` ([`postgres`]).

pub(super) mod checkpoint;
pub(super) mod direct;
pub(super) mod postgres;
pub(super) mod sqlite;

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use sqlx::postgres::{PgArguments, PgConnection, PgListener, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, Connection as _, FromRow};

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::write::{Turn, Writer};
use crate::error::{Error, Result};
use crate::model::{
    ColumnId, CommentId, EntityKind, LabelId, Op, Priority, ProjectId, SubtaskId, TaskId,
};

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `column`, a JSON column of the change log, as text: a file stores JSON as text, a server
    /// as `jsonb`.
    pub(crate) fn json_text(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Postgres => format!("{column}::text AS {column}"),
        }
    }
}

/// A value bound to a statement. Each carries its SQL type even when NULL, because PostgreSQL
/// types every parameter.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// A statement and the values for its `$1`, `$2`, ... in order.
#[must_use]
pub(crate) struct Query {
    sql: Cow<'static, str>,
    values: Vec<Value>,
}

/// A statement to run with [`Query::bind`]s.
pub(crate) fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query {
        sql: sql.into(),
        values: Vec::new(),
    }
}

impl Query {
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }

    fn sqlite(self) -> Result<(Cow<'static, str>, SqliteArguments<'static>)> {
        Ok((self.sql, arguments(self.values)?))
    }

    fn postgres(self) -> Result<(Cow<'static, str>, PgArguments)> {
        Ok((self.sql, arguments(self.values)?))
    }
}

/// `values` as a driver's own arguments.
fn arguments<'q, A>(values: Vec<Value>) -> Result<A>
where
    A: Arguments<'q> + Default,
    Option<String>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database> + 'q,
    Option<i64>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database> + 'q,
    bool: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database> + 'q,
{
    let mut args = A::default();
    for value in values {
        match value {
            Value::Text(v) => args.add(v),
            Value::Int(v) => args.add(v),
            Value::Bool(v) => args.add(v),
        }
        .map_err(|e| Error::Storage(sqlx::Error::Encode(e)))?;
    }
    Ok(args)
}

/// Where a [`Query`] runs: a connection, or whichever connection of a pool is free.
pub(crate) enum On<'a, 'c> {
    Conn(&'a mut Conn<'c>),
    Pool(&'a Pool),
}

impl<'a, 'c> From<&'a mut Conn<'c>> for On<'a, 'c> {
    fn from(conn: &'a mut Conn<'c>) -> Self {
        On::Conn(conn)
    }
}

impl<'a> From<&'a Pool> for On<'a, 'static> {
    fn from(pool: &'a Pool) -> Self {
        On::Pool(pool)
    }
}

/// Runs `$query`'s `$method` on `$on`, taking a pool's connection for the one statement.
macro_rules! on {
    ($on:expr, $query:expr, $method:ident) => {
        match $on.into() {
            On::Conn(conn) => conn.$method($query).await,
            On::Pool(pool) => {
                let mut pooled = pool.acquire().await?;
                let result = pooled.conn().$method($query).await;
                pooled.check(&result);
                result
            }
        }
    };
}

impl Query {
    /// Runs the statement; returns how many rows it changed.
    pub(crate) async fn execute<'a, 'c: 'a>(self, on: impl Into<On<'a, 'c>>) -> Result<u64> {
        on!(on, self, execute)
    }

    pub(crate) async fn fetch_all<'a, 'c: 'a, T: Row>(
        self,
        on: impl Into<On<'a, 'c>>,
    ) -> Result<Vec<T>> {
        on!(on, self, fetch_all)
    }

    pub(crate) async fn fetch_optional<'a, 'c: 'a, T: Row>(
        self,
        on: impl Into<On<'a, 'c>>,
    ) -> Result<Option<T>> {
        on!(on, self, fetch_optional)
    }

    pub(crate) async fn fetch_one<'a, 'c: 'a, T: Row>(
        self,
        on: impl Into<On<'a, 'c>>,
    ) -> Result<T> {
        on!(on, self, fetch_one)
    }

    /// The first column of the one row the statement returns.
    pub(crate) async fn scalar<'a, 'c: 'a, T>(self, on: impl Into<On<'a, 'c>>) -> Result<T>
    where
        (T,): Row,
    {
        Ok(self.fetch_one::<(T,)>(on).await?.0)
    }

    /// The first column of the row the statement returns, if it returns one.
    pub(crate) async fn scalar_optional<'a, 'c: 'a, T>(
        self,
        on: impl Into<On<'a, 'c>>,
    ) -> Result<Option<T>>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional::<(T,)>(on).await?.map(|(v,)| v))
    }

    /// The first column of each row the statement returns.
    pub(crate) async fn scalars<'a, 'c: 'a, T>(self, on: impl Into<On<'a, 'c>>) -> Result<Vec<T>>
    where
        (T,): Row,
    {
        let rows = self.fetch_all::<(T,)>(on).await?;
        Ok(rows.into_iter().map(|(v,)| v).collect())
    }
}

/// A row type every driver can decode: sqlx's two by column name, and the writer's direct
/// SQLite calls through serde (by column name too; a tuple by position).
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + DeserializeOwned + Send + Unpin
{
}

impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow>
        + for<'r> FromRow<'r, PgRow>
        + DeserializeOwned
        + Send
        + Unpin
{
}

/// One connection (usually inside a transaction), borrowed for a few statements.
pub(crate) enum Conn<'a> {
    /// A reader of a file, through sqlx's worker thread.
    Sqlite(&'a mut SqliteConnection),
    /// The writer of a file, called directly on this thread (`direct.rs`).
    Direct(&'a mut rusqlite::Connection),
    Postgres(&'a mut PgConnection),
    /// A hub's one connection to a server, which listens for the log's notifications between
    /// the statements it runs.
    Listening(&'a mut PgListener),
}

/// The connections reads go through.
#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    /// A server's readers, and the store's own connection, which a read borrows while it is
    /// free: a machine that reads while it does not write costs the server no other one.
    Postgres(PgPool, Option<Home>),
}

/// The store's own connection (the writer's, a hub's listener), as reads borrow it.
#[derive(Clone)]
pub(crate) struct Home {
    writer: Arc<Mutex<Writer>>,
    turn: Arc<Turn>,
}

impl Home {
    /// The store's connection for a read, unless a write has it (the read takes a reader then,
    /// rather than wait): whoever else holds it is quick, or (the hub's watcher) gives it up
    /// when asked.
    async fn borrow(&self) -> Option<Borrowed> {
        if self.turn.writing.load(Ordering::SeqCst) {
            return None;
        }
        let asking = self.turn.ask();
        let mut writer = self.writer.clone().lock_owned().await;
        drop(asking);
        let writing = writer.group.is_some()
            || self.turn.unfinished.load(Ordering::SeqCst) != super::write::UNDO_NONE;
        if writing {
            return None;
        }
        writer.tidy().await;
        writer.used = std::time::Instant::now();
        let conn = writer.conn.take()?;
        Some(Borrowed {
            writer,
            conn: Some(conn),
        })
    }
}

/// The store's connection, lent to a read until dropped.
pub(crate) struct Borrowed {
    writer: OwnedMutexGuard<Writer>,
    /// There until given back, on drop, unless found lost.
    conn: Option<Connection>,
}

impl Borrowed {
    fn conn(&mut self) -> Conn<'_> {
        self.conn
            .as_mut()
            .map(Connection::conn)
            .expect("a borrowed connection is there until given back or found lost")
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        self.writer.conn = self.conn.take();
    }
}

/// Runs a [`Query`] on whichever driver the connection is; `$direct` for the writer's file.
macro_rules! run {
    ($self:ident, $query:ident, $direct:path, |$sql:ident, $args:ident, $c:ident| $body:expr) => {
        match $self {
            Conn::Direct(c) => $direct(c, $query)?,
            Conn::Sqlite($c) => {
                let ($sql, $args) = $query.sqlite()?;
                let $c = &mut **$c;
                $body
            }
            Conn::Postgres($c) => {
                let ($sql, $args) = $query.postgres()?;
                let $c = &mut **$c;
                $body
            }
            Conn::Listening($c) => {
                let ($sql, $args) = $query.postgres()?;
                let $c = &mut **$c;
                $body
            }
        }
    };
}

impl Conn<'_> {
    /// Runs a statement; returns how many rows it changed.
    pub(crate) async fn execute(&mut self, query: Query) -> Result<u64> {
        Ok(run!(self, query, direct::execute, |sql, args, c| {
            sqlx::query_with(&sql, args)
                .execute(c)
                .await?
                .rows_affected()
        }))
    }

    pub(crate) async fn fetch_all<T: Row>(&mut self, query: Query) -> Result<Vec<T>> {
        Ok(run!(self, query, direct::fetch_all, |sql, args, c| {
            sqlx::query_as_with(&sql, args).fetch_all(c).await?
        }))
    }

    pub(crate) async fn fetch_optional<T: Row>(&mut self, query: Query) -> Result<Option<T>> {
        Ok(run!(self, query, direct::fetch_optional, |sql, args, c| {
            sqlx::query_as_with(&sql, args).fetch_optional(c).await?
        }))
    }

    pub(crate) async fn fetch_one<T: Row>(&mut self, query: Query) -> Result<T> {
        self.fetch_optional(query)
            .await?
            .ok_or(Error::Storage(sqlx::Error::RowNotFound))
    }
}

/// A connection of the store's own (the writer's), for either database.
pub(crate) enum Connection {
    Direct(rusqlite::Connection),
    Postgres(PgConnection),
    /// A hub's connection to a server: the writer's, and its listener's between writes.
    Listening(postgres::Listening),
}

impl Connection {
    /// Closes the connection cleanly: on a file, the last one to close checkpoints the WAL
    /// into the database and removes it, so the next process opens it without replaying it.
    pub(crate) async fn close(self) -> Result<()> {
        match self {
            Connection::Direct(c) => direct::close(c)?,
            Connection::Postgres(c) => c.close().await?,
            Connection::Listening(c) => c.close().await,
        }
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Connection::Direct(c) => Conn::Direct(c),
            Connection::Postgres(c) => Conn::Postgres(c),
            Connection::Listening(c) => Conn::Listening(c.listener()),
        }
    }

    /// Runs one of the statements that end the writer's transactions or undo a write that
    /// joined one.
    pub(crate) async fn control(&mut self, control: Control) -> Result<()> {
        let statements: &[&'static str] = match control {
            Control::Commit => &["COMMIT"],
            Control::Rollback => &["ROLLBACK"],
            // Back to the savepoint, and off the stack of savepoints.
            Control::RollbackToSavepoint => &["ROLLBACK TO write", "RELEASE write"],
        };
        for statement in statements {
            self.conn().execute(query(*statement)).await?;
        }
        Ok(())
    }

    /// Begins a write: on a file, `BEGIN IMMEDIATE` takes the write lock up front (waiting
    /// for another process's write to end); on a server, [`Tx::start`] takes the log's lock.
    pub(crate) async fn begin_write(&mut self) -> Result<Tx<'_>> {
        Ok(match self {
            Connection::Direct(c) => {
                direct::begin(c).await?;
                Tx::Direct(DirectTx {
                    conn: c,
                    open: true,
                })
            }
            Connection::Postgres(c) => Tx::Postgres(c.begin().await?),
            Connection::Listening(c) => Tx::Postgres(sqlx::Acquire::begin(c.listener()).await?),
        })
    }
}

/// The statements that end the writer's transactions, or undo a write that joined one (it
/// began at a savepoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Commit,
    Rollback,
    RollbackToSavepoint,
}

/// A write transaction on either database; rolled back when dropped uncommitted.
pub(crate) enum Tx<'c> {
    Direct(DirectTx<'c>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

/// A write transaction on the writer's file, open until committed or rolled back.
pub(crate) struct DirectTx<'c> {
    conn: &'c mut rusqlite::Connection,
    /// Until committed or rolled back.
    open: bool,
}

impl Drop for DirectTx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = direct::rollback(self.conn) {
                tracing::warn!(error = %e, "an abandoned write did not roll back");
            }
        }
    }
}

impl Tx<'_> {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Direct(tx) => Conn::Direct(tx.conn),
            Tx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Direct(mut tx) => {
                direct::commit(tx.conn)?;
                tx.open = false;
            }
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A read-only transaction on a reader, which sees one snapshot of the database throughout.
pub(crate) enum Snapshot {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    /// On the store's own connection: one left open (its reader stopped halfway) is rolled
    /// back before the connection is used again.
    Home(Borrowed),
}

/// A server's snapshot: one transaction that reads, and reads one state of the database.
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

impl Snapshot {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Snapshot::Sqlite(tx) => Conn::Sqlite(tx),
            Snapshot::Postgres(tx) => Conn::Postgres(tx),
            Snapshot::Home(home) => home.conn(),
        }
    }

    /// Ends the snapshot (it wrote nothing).
    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Snapshot::Sqlite(tx) => tx.rollback().await?,
            Snapshot::Postgres(tx) => tx.rollback().await?,
            Snapshot::Home(mut home) => {
                home.conn().execute(query("ROLLBACK")).await?;
                home.writer.untidy = false;
            }
        }
        Ok(())
    }
}

/// A connection taken from a [`Pool`], returned to it when dropped.
pub(crate) enum Pooled {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Home(Borrowed),
}

impl Pooled {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
            Pooled::Home(home) => home.conn(),
        }
    }

    /// Drops the store's own connection after a read found it lost: the next use connects
    /// again. (A pool tests its own before lending them.)
    fn check<T>(&mut self, result: &Result<T>) {
        if let (Pooled::Home(home), Err(e)) = (self, result) {
            if e.is_disconnect() {
                home.conn = None;
            }
        }
    }
}

impl Pool {
    /// Lets reads borrow the store's own connection (a server's) while it is free.
    pub(in crate::store) fn lend(&mut self, writer: &Arc<Mutex<Writer>>, turn: &Arc<Turn>) {
        if let Pool::Postgres(_, home) = self {
            *home = Some(Home {
                writer: writer.clone(),
                turn: turn.clone(),
            });
        }
    }

    /// A read-only transaction that sees one snapshot of the database throughout.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot> {
        Ok(match self {
            // WAL: the first read fixes the snapshot every later read in the transaction sees.
            Pool::Sqlite(p) => Snapshot::Sqlite(p.begin().await?),
            Pool::Postgres(p, home) => {
                if let Some(mut home) = borrow(home.as_ref()).await {
                    // Marked first: should this read stop halfway, the next use ends it.
                    home.writer.untidy = true;
                    home.conn().execute(query(SNAPSHOT)).await?;
                    return Ok(Snapshot::Home(home));
                }
                match p.begin_with(SNAPSHOT).await {
                    Ok(tx) => Snapshot::Postgres(tx),
                    Err(e) => return Err(waited_in_vain(p, e).await),
                }
            }
        })
    }

    pub(crate) async fn acquire(&self) -> Result<Pooled> {
        Ok(match self {
            Pool::Sqlite(p) => Pooled::Sqlite(p.acquire().await?),
            Pool::Postgres(p, home) => {
                if let Some(home) = borrow(home.as_ref()).await {
                    return Ok(Pooled::Home(home));
                }
                match p.acquire().await {
                    Ok(conn) => Pooled::Postgres(conn),
                    Err(e) => return Err(waited_in_vain(p, e).await),
                }
            }
        })
    }
}

/// The store's own connection, if there is one to lend and it is free.
async fn borrow(home: Option<&Home>) -> Option<Borrowed> {
    match home {
        Some(home) => home.borrow().await,
        None => None,
    }
}

/// `error`, from a server's pool, as a person should hear it: a pool that waited in vain for a
/// connection is most often a full server (sqlx's pool retries a refused login until its
/// timeout), which one attempt to log in tells for sure.
pub(super) async fn waited_in_vain(pool: &PgPool, error: sqlx::Error) -> Error {
    if !matches!(error, sqlx::Error::PoolTimedOut) {
        return error.into();
    }
    let options = pool.connect_options();
    let attempt = PgConnection::connect_with(&options);
    match tokio::time::timeout(std::time::Duration::from_secs(1), attempt).await {
        Ok(Err(sqlx::Error::Database(e))) if e.code().as_deref() == Some("53300") => {
            Error::ServerFull {
                host: Some(options.get_host().to_owned()),
            }
        }
        Ok(Ok(conn)) => {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "a probing connection did not close cleanly");
            }
            error.into()
        }
        _ => error.into(),
    }
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) | Conn::Direct(_) => Dialect::Sqlite,
            Conn::Postgres(_) | Conn::Listening(_) => Dialect::Postgres,
        }
    }
}

impl Pool {
    /// Closes every connection, waiting for those in use to come back.
    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p, _) => p.close().await,
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(..) => Dialect::Postgres,
        }
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<&&str> for Value {
    fn from(v: &&str) -> Self {
        Value::Text(Some((*v).to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

macro_rules! text_values {
    ($($ty:ty),*) => {$(
        impl From<&$ty> for Value {
            fn from(v: &$ty) -> Self {
                Value::Text(Some(v.0.clone()))
            }
        }
        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                Value::Text(Some(v.0))
            }
        }
        impl From<Option<$ty>> for Value {
            fn from(v: Option<$ty>) -> Self {
                Value::Text(v.map(|v| v.0))
            }
        }
        impl From<Option<&$ty>> for Value {
            fn from(v: Option<&$ty>) -> Self {
                Value::Text(v.map(|v| v.0.clone()))
            }
        }
    )*};
}

text_values!(ProjectId, ColumnId, TaskId, SubtaskId, LabelId, CommentId);

macro_rules! name_values {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                Value::Text(Some(v.as_str().to_owned()))
            }
        }
    )*};
}

name_values!(Priority, EntityKind, Op);
