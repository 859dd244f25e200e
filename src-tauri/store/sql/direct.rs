//! The writer's connection to a file: SQLite called directly on the writing task's thread.
//!
//! sqlx runs each SQLite statement on a worker thread of its own and hands the rows back over a
//! channel, so a write of six statements paid six thread round trips, which cost far more than
//! the statements: an indexed update and its trigger-written log row take microseconds. The
//! writer therefore calls SQLite itself (rusqlite, on the same `libsqlite3-sys` sqlx links), and
//! a whole write transaction runs in one go on the thread that asked for it, from `BEGIN
//! IMMEDIATE` to `COMMIT`. The readers stay on sqlx: a board's read may take a while and must
//! not hold a runtime thread.
//!
//! Nothing here blocks for long: waiting for another process's write lock is done by sleeping
//! between tries on the runtime, never inside SQLite's busy handler.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{OpenFlags, ToSql};

use crate::error::{Error, Reported, Result, Violation};
use crate::store::sql::checkpoint::INLINE_BOUND;
use crate::store::sql::{Query, Row, Value};

/// How long a write waits for another process's write to finish before giving up. Long enough
/// for any burst Tandem makes; short enough that a stuck writer surfaces as an error, not a hang.
pub(in crate::store) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The most a WAL keeps of its size once it starts over: a burst's 40 MB are not kept for good.
const WAL_KEPT: u32 = 4 << 20;

/// Prepared statements kept per connection: every statement the store writes with, so none is
/// compiled twice.
const STATEMENT_CACHE: usize = 128;

/// Opens (creating if need be) the file at `path` for writing, in WAL mode.
pub(in crate::store) fn open(path: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(storage)?;
    // Nothing is written to a file that is neither Tandem's nor empty, not even WAL mode.
    crate::store::whole::check::refuse_foreign_file(&conn, path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Never wait inside SQLite: `begin` waits for other writers on the runtime instead.
    conn.busy_timeout(Duration::ZERO).map_err(storage)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(storage)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the database file would not switch to WAL");
    }
    // With WAL, NORMAL is durable against application crashes and only a power loss can lose
    // the last commits; it keeps an fsync off every write.
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(storage)?;
    // A thread checkpoints the WAL (`checkpoint.rs`); a commit does only past this bound.
    conn.pragma_update_and_check(None, "wal_autocheckpoint", INLINE_BOUND, |_| Ok(()))
        .map_err(storage)?;
    conn.pragma_update_and_check(None, "journal_size_limit", WAL_KEPT, |_| Ok(()))
        .map_err(storage)?;
    Ok(conn)
}

/// Closes the connection; the last connection to a file checkpoints its WAL into it.
pub(in crate::store) fn close(conn: rusqlite::Connection) -> Result<()> {
    conn.close().map_err(|(_, e)| storage(e))
}

/// `BEGIN IMMEDIATE`: takes the file's write lock up front (a deferred transaction that reads
/// and then writes can fail at once with SQLITE_BUSY when another process writes first). While
/// another process holds the lock, tries again after a short sleep, for up to [`BUSY_TIMEOUT`].
pub(in crate::store) async fn begin(conn: &mut rusqlite::Connection) -> Result<()> {
    let deadline = tokio::time::Instant::now() + BUSY_TIMEOUT;
    let mut wait = Duration::from_micros(200);
    loop {
        match run(conn, "BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(10));
            }
            Err(e) => return Err(storage(e)),
        }
    }
}

pub(in crate::store) fn commit(conn: &mut rusqlite::Connection) -> Result<()> {
    run(conn, "COMMIT").map_err(storage)
}

pub(in crate::store) fn rollback(conn: &mut rusqlite::Connection) -> Result<()> {
    run(conn, "ROLLBACK").map_err(storage)
}

/// Runs one statement without values, compiled once per connection.
fn run(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Runs a statement; returns how many rows it changed. A statement without values may be
/// several, separated by semicolons; it returns every row they and their triggers changed.
pub(in crate::store) fn execute(conn: &mut rusqlite::Connection, query: Query) -> Result<u64> {
    if query.values().is_empty() && is_batch(query.sql()) {
        let before = conn.total_changes();
        conn.execute_batch(query.sql()).map_err(storage)?;
        return Ok(conn.total_changes().saturating_sub(before));
    }
    let mut statement = prepared(conn, &query).map_err(storage)?;
    // Stepped to the end whether or not it returns rows (`RETURNING`).
    let mut rows = statement.raw_query();
    while rows.next().map_err(storage)?.is_some() {}
    drop(rows);
    Ok(conn.changes())
}

/// Whether `sql` may hold more than one statement. A semicolon inside a literal makes a single
/// statement look like several, which only costs it the statement cache.
fn is_batch(sql: &str) -> bool {
    sql.trim_end().trim_end_matches(';').contains(';')
}

/// Every row the statement returns.
pub(in crate::store) fn fetch_all<T: Row>(
    conn: &mut rusqlite::Connection,
    query: Query,
) -> Result<Vec<T>> {
    let mut statement = prepared(conn, &query).map_err(storage)?;
    let mut rows = statement.raw_query();
    let mut all = Vec::new();
    while let Some(row) = rows.next().map_err(storage)? {
        all.push(decode(row)?);
    }
    Ok(all)
}

/// The first row the statement returns, if any; the statement still runs to its end.
pub(in crate::store) fn fetch_optional<T: Row>(
    conn: &mut rusqlite::Connection,
    query: Query,
) -> Result<Option<T>> {
    let mut statement = prepared(conn, &query).map_err(storage)?;
    let mut rows = statement.raw_query();
    let first = match rows.next().map_err(storage)? {
        Some(row) => Some(decode(row)?),
        None => None,
    };
    while rows.next().map_err(storage)?.is_some() {}
    Ok(first)
}

/// `query`'s statement, compiled once per connection, with its values bound: `$N` takes the
/// N-th value wherever it appears, as sqlx binds them.
fn prepared<'c>(
    conn: &'c rusqlite::Connection,
    query: &Query,
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut statement = conn.prepare_cached(query.sql())?;
    for index in 1..=statement.parameter_count() {
        let value = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| query.values().get(number.checked_sub(1)?));
        match value {
            Some(value) => statement.raw_bind_parameter(index, value)?,
            None => {
                return Err(rusqlite::Error::InvalidParameterCount(
                    index,
                    query.values().len(),
                ))
            }
        }
    }
    Ok(statement)
}

fn decode<T: Row>(row: &rusqlite::Row<'_>) -> Result<T> {
    serde_rusqlite::from_row(row).map_err(|e| {
        tracing::error!(error = %e, "a row does not have the shape Tandem expects");
        Error::Storage(sqlx::Error::Decode(Box::new(e)))
    })
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Int(Some(number)) => ToSqlOutput::Borrowed(ValueRef::Integer(*number)),
            Value::Bool(flag) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*flag))),
            Value::Text(None) | Value::Int(None) => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// SQLite's failure as the store's error, the same whichever way the statement ran: SQLite's
/// message and code as a database error, anything else as a decoding failure.
pub(in crate::store) fn storage(error: rusqlite::Error) -> Error {
    use rusqlite::ffi;
    Error::Storage(match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            let kind = match code.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    Violation::Unique
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Violation::ForeignKey,
                ffi::SQLITE_CONSTRAINT_NOTNULL => Violation::NotNull,
                ffi::SQLITE_CONSTRAINT_CHECK => Violation::Check,
                _ => Violation::None,
            };
            let message = message.unwrap_or_else(|| code.to_string());
            let code = Some(code.extended_code.to_string());
            sqlx::Error::Database(Box::new(Reported::new(&message, code, kind)))
        }
        other => sqlx::Error::Decode(Box::new(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::query;

    fn memory() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL, note TEXT)")
            .unwrap();
        conn
    }

    #[test]
    fn numbered_values_bind_wherever_they_appear_and_as_often() {
        let mut conn = memory();
        let changed = execute(
            &mut conn,
            query("INSERT INTO t (note, n, id) VALUES ($3, $2, $1), (NULL, $2 + $2, $1 || '2')")
                .bind("a")
                .bind(7)
                .bind(None::<String>),
        )
        .unwrap();
        assert_eq!(changed, 2);
        let rows: Vec<(String, i64, Option<String>)> =
            fetch_all(&mut conn, query("SELECT id, n, note FROM t ORDER BY id")).unwrap();
        assert_eq!(
            rows,
            [("a".into(), 7, None), ("a2".into(), 14, None)],
            "{rows:?}"
        );
    }

    #[test]
    fn a_refused_row_is_a_database_error_of_its_kind_with_sqlites_words() {
        let mut conn = memory();
        execute(&mut conn, query("INSERT INTO t VALUES ('a', 1, NULL)")).unwrap();
        let err = execute(&mut conn, query("INSERT INTO t VALUES ('a', 2, NULL)")).unwrap_err();
        let Error::Storage(sqlx::Error::Database(e)) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(e.kind(), sqlx::error::ErrorKind::UniqueViolation);
        assert!(e.message().contains("UNIQUE constraint failed"), "{err}");
    }

    #[test]
    fn a_statement_without_values_may_be_several() {
        let mut conn = memory();
        let changed = execute(
            &mut conn,
            query("INSERT INTO t VALUES ('a', 1, NULL); INSERT INTO t VALUES ('b', 2, NULL);"),
        )
        .unwrap();
        assert_eq!(changed, 2);
    }

    #[test]
    fn a_statement_missing_a_value_is_refused_not_run_with_null() {
        let mut conn = memory();
        let err = execute(
            &mut conn,
            query("INSERT INTO t VALUES ($1, $2, NULL)").bind("a"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Storage(_)), "{err:?}");
        let none: Vec<(String,)> = fetch_all(&mut conn, query("SELECT id FROM t")).unwrap();
        assert!(none.is_empty());
    }
}
