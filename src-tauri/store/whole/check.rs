//! What a database holds, told without changing it: Settings ▸ Database tests a file or a
//! server this way before it saves the choice.

use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use crate::config::Location;
use crate::error::{Error, Result};
use crate::store::sql::{postgres, sqlite};
use crate::store::sql::{query, Conn};

/// The tables every Tandem database has, whichever the engine.
const OWN_TABLES: [&str; 3] = ["_sqlx_migrations", "changes", "tasks"];

/// What is at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Found {
    /// No file yet: Tandem creates it when it first opens it.
    NewFile,
    /// An empty database: Tandem sets it up when it first opens it.
    Empty,
    /// A Tandem board.
    Board {
        #[ts(type = "number")]
        projects: i64,
        #[ts(type = "number")]
        tasks: i64,
    },
}

/// Looks at `location` and says what it holds; refuses, naming why, what Tandem cannot use:
/// a folder, a file that is not SQLite's, a database of someone else's tables, a server that
/// does not answer or lets nobody in. Creates, migrates and writes nothing.
pub async fn check(location: &Location) -> Result<Found> {
    match location {
        Location::File(path) => check_file(path).await,
        Location::Server(url) => {
            let mut conn = postgres::connect(url).await?;
            postgres::refuse_old(&mut conn, url).await?;
            let mut conn = Conn::Postgres(&mut conn);
            let tables = postgres::tables(&mut conn).await?;
            found(&mut conn, &tables, &location.to_string()).await
        }
    }
}

async fn check_file(path: &Path) -> Result<Found> {
    let refuse = |reason: &str| Error::invalid("database", format!("{}: {reason}", path.display()));
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(refuse("a folder, not a file")),
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            // Tandem makes the missing folders when it opens the file: the nearest one that
            // exists must be a folder.
            let folder = path.ancestors().skip(1).find(|dir| dir.exists());
            return match folder {
                Some(dir) if !dir.is_dir() => Err(refuse(&format!(
                    "{} is a file, not a folder",
                    dir.display()
                ))),
                _ => Ok(Found::NewFile),
            };
        }
        Err(e) => return Err(refuse(&format!("cannot be read ({})", e.kind()))),
    }
    let mut conn = sqlite::connect_read_only(path)
        .await
        .map_err(|_| refuse("cannot be opened as a database"))?;
    let mut conn = Conn::Sqlite(&mut conn);
    let tables: Vec<String> = query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
    )
    .scalars(&mut conn)
    .await
    .map_err(|e| {
        // SQLite's files start so: one that does yet cannot be read is damaged.
        let header = std::fs::File::open(path).and_then(|mut f| {
            let mut start = [0; 16];
            std::io::Read::read_exact(&mut f, &mut start).map(|()| start)
        });
        match header {
            Ok(start) if &start == b"SQLite format 3\0" => {
                let why = match &e {
                    Error::Storage(sqlx::Error::Database(db)) => db.message().to_owned(),
                    other => other.to_string(),
                };
                refuse(&format!("is damaged ({why})"))
            }
            _ => refuse("is not an SQLite database"),
        }
    })?;
    found(&mut conn, &tables, &path.display().to_string()).await
}

/// What `tables` make of a database: nothing, a board (counted), or someone else's.
async fn found(conn: &mut Conn<'_>, tables: &[String], what: &str) -> Result<Found> {
    if tables.is_empty() {
        return Ok(Found::Empty);
    }
    if OWN_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t))
    {
        let (projects, tasks): (i64, i64) =
            query("SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM tasks)")
                .fetch_one(conn)
                .await?;
        return Ok(Found::Board { projects, tasks });
    }
    Err(foreign(what, tables))
}

/// What `tandem doctor` learns of a database, changing nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub found: Found,
    /// What the integrity check found wrong (a file's `PRAGMA quick_check`); `None` when all is
    /// well, or there is nothing to check yet.
    pub damage: Option<String>,
    /// The newest schema change the database has; `None` before Tandem first opens it.
    pub schema: Option<i64>,
    /// The newest schema change this Tandem knows.
    pub newest: i64,
    /// A server's connections: how many it allows and how many are in use; `None` for a file.
    pub connections: Option<Connections>,
}

/// A server's connection slots, as `tandem doctor` tells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Connections {
    /// Its `max_connections`.
    pub allowed: i64,
    /// How many of those only superusers may take (`superuser_reserved_connections`).
    pub reserved: i64,
    /// Client connections open now, every user's and database's.
    pub in_use: i64,
}

/// Looks at the database at `location` as [`check`] does, then checks its integrity and which
/// schema it has.
pub async fn health(location: &Location) -> Result<Health> {
    let found = check(location).await?;
    let board = matches!(found, Found::Board { .. });
    let (damage, schema, newest) = match location {
        Location::File(path) => {
            let newest = newest(&sqlite::MIGRATOR);
            if !board {
                (None, None, newest)
            } else {
                let mut conn = sqlite::connect_read_only(path).await?;
                let mut conn = Conn::Sqlite(&mut conn);
                let said: Vec<String> = query("PRAGMA quick_check(5)").scalars(&mut conn).await?;
                let damage = (said != ["ok"]).then(|| said.join("; "));
                (damage, schema(&mut conn).await?, newest)
            }
        }
        Location::Server(url) => {
            let newest = newest(&postgres::MIGRATOR);
            if !board {
                (None, None, newest)
            } else {
                let mut conn = postgres::connect(url).await?;
                (None, schema(&mut Conn::Postgres(&mut conn)).await?, newest)
            }
        }
    };
    let connections = match location {
        Location::File(_) => None,
        Location::Server(url) => {
            let mut conn = postgres::connect(url).await?;
            let (allowed, reserved, in_use): (i64, i64, i64) = query(
                "SELECT current_setting('max_connections')::bigint,
                        current_setting('superuser_reserved_connections')::bigint,
                        (SELECT count(*) FROM pg_stat_activity
                         WHERE backend_type = 'client backend')",
            )
            .fetch_one(&mut Conn::Postgres(&mut conn))
            .await?;
            Some(Connections {
                allowed,
                reserved,
                in_use,
            })
        }
    };
    Ok(Health {
        found,
        damage,
        schema,
        newest,
        connections,
    })
}

fn newest(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn schema(conn: &mut Conn<'_>) -> Result<Option<i64>> {
    query("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .scalar(conn)
        .await
}

/// Tandem's mark in the header of its database files (`PRAGMA application_id`): "TAND".
pub(in crate::store) const APPLICATION_ID: i32 = 0x54_41_4E_44;

/// Refuses, before anything is written to it, a file that is neither Tandem's nor empty: one
/// marked by another program, or holding other tables than Tandem's. A file of Tandem's from
/// before the mark holds its tables, and is marked when it is brought up to date.
pub(in crate::store) fn refuse_foreign_file(
    conn: &rusqlite::Connection,
    path: &Path,
) -> Result<()> {
    let what = path.display().to_string();
    let unreadable = |e: rusqlite::Error| crate::store::sql::direct::storage(e);
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(unreadable)?;
    if id == APPLICATION_ID {
        return Ok(());
    }
    if id != 0 {
        return Err(Error::invalid(
            "database",
            format!("{what} is another program's database (its application id is {id}); give Tandem a database of its own"),
        ));
    }
    let mut listed = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .map_err(unreadable)?;
    let tables: Vec<String> = listed
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(unreadable)?;
    let ours = OWN_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t));
    if tables.is_empty() || ours {
        Ok(())
    } else {
        Err(foreign(&what, &tables))
    }
}

/// `what` holds `tables`, which are not Tandem's.
fn foreign(what: &str, tables: &[String]) -> Error {
    let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
    Error::invalid(
        "database",
        format!(
            "{what} holds another program's tables ({}{}); give Tandem a database of its own",
            shown.join(", "),
            if tables.len() > 3 { ", ..." } else { "" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actor, Origin};
    use crate::store::Store;

    fn file(path: &Path) -> Location {
        Location::File(path.to_path_buf())
    }

    #[tokio::test]
    async fn a_file_is_new_empty_a_board_or_refused_and_is_never_changed() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("later/board.db");
        assert_eq!(check(&file(&new)).await.unwrap(), Found::NewFile);
        assert!(!new.exists() && !dir.path().join("later").exists());

        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(check(&file(&empty)).await.unwrap(), Found::Empty);
        assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

        let board = dir.path().join("board.db");
        let me = Origin::new("t", Actor::Cli);
        let store = Store::open(board.as_path(), &me).await.unwrap();
        let inbox = store.projects().await.unwrap().remove(0).id;
        let one = crate::store::NewTask {
            project_id: inbox,
            column_id: None,
            title: "One".into(),
        };
        store.create_task(&me, one).await.unwrap();
        assert_eq!(
            check(&file(&board)).await.unwrap(),
            Found::Board {
                projects: 1,
                tasks: 1
            }
        );

        let refused = |found: Result<Found>| match found {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "database");
                reason
            }
            other => panic!("refused, not {other:?}"),
        };
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database, just words").unwrap();
        assert!(refused(check(&file(&text)).await).contains("not"));
        assert_eq!(
            std::fs::read_to_string(&text).unwrap(),
            "not a database, just words"
        );
        let reason = refused(check(&file(dir.path())).await);
        assert!(reason.contains("folder"), "{reason}");
        let under_a_file = text.join("board.db");
        let reason = refused(check(&file(&under_a_file)).await);
        assert!(reason.contains("not a folder"), "{reason}");

        let foreign = dir.path().join("other.db");
        let made = std::process::Command::new("sqlite3")
            .arg(&foreign)
            .arg("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            .status()
            .expect("sqlite3 runs");
        assert!(made.success());
        let before = std::fs::read(&foreign).unwrap();
        let reason = refused(check(&file(&foreign)).await);
        assert!(reason.contains("invoices"), "{reason}");
        assert_eq!(std::fs::read(&foreign).unwrap(), before, "left untouched");
    }
}
