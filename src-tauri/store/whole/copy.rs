//! Moving a board between databases (a file and a server, either way): every table and the
//! whole change log, so history, undo and `watch --since` survive the move.
//!
//! The source is read in one snapshot; the target is written in one transaction, so a copy that
//! fails leaves the target as it was (and a file it had to create is removed again). The rows
//! are inserted through the ordinary tables, whose triggers log them; those log rows are then
//! replaced by the source's log, seq for seq.

use std::path::PathBuf;

use crate::config::Location;
use crate::error::{Error, Result};
use crate::model::{Column, Comment, Label, Project, Subtask, Task, TaskAssignee, TaskLabel};
use crate::store::sql::{postgres, sqlite};
use crate::store::sql::{query, Conn, Connection, Dialect, Pool};
use crate::store::ChangeRow;

/// The board's tables, parents before children.
const TABLES: [&str; 8] = [
    "projects",
    "columns",
    "tasks",
    "subtasks",
    "labels",
    "task_labels",
    "task_assignees",
    "comments",
];

/// How many rows go between two progress reports.
const PROGRESS_EVERY: u64 = 5_000;

/// What a copy moved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    /// Rows of the board's tables.
    pub rows: u64,
    /// Rows of the change log.
    pub changes: u64,
}

/// Copies the board at `from` to `to`. A target that already holds a board (any project or any
/// logged change) is refused unless `force`, which replaces it. `progress` hears
/// `(done, total)` rows as the copy goes.
pub async fn copy(
    from: &Location,
    to: &Location,
    force: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<Copied> {
    if from == to {
        return Err(Error::invalid(
            "to",
            "the source and the target are the same",
        ));
    }
    let (_, source) = open_existing(from).await?;
    let created = match to {
        Location::File(path) if !path.exists() => Some(path.clone()),
        _ => None,
    };
    let copied = async {
        let (mut target, _) = open(to).await?;
        let mut read = source.snapshot().await?;
        let board = Board::read(&mut read.conn(), true).await?;
        read.rollback().await?;
        if board.projects.is_empty() && board.changes.is_empty() {
            return Err(Error::invalid("from", format!("{from} holds no board")));
        }
        let mut tx = target.begin_write().await?;
        let mut conn = tx.conn();
        let held = holds_a_board(&mut conn).await?;
        if held && !force {
            return Err(Error::invalid(
                "to",
                format!("{to} already holds a board; add --force to replace it"),
            ));
        }
        let copied = board.write(&mut conn, &mut progress).await?;
        tx.commit().await?;
        Ok(copied)
    }
    .await;
    if copied.is_err() {
        if let Some(path) = created {
            remove_file(path);
        }
    }
    copied.map_err(|e| refused_rows(e, from, to))
}

/// A row of the source the target's constraints refuse (another program wrote the source
/// without checking them) is the source's fault, said as such.
pub(in crate::store) fn refused_rows(error: Error, from: &Location, to: &Location) -> Error {
    use sqlx::error::ErrorKind;
    match &error {
        Error::Storage(sqlx::Error::Database(e))
            if matches!(
                e.kind(),
                ErrorKind::ForeignKeyViolation
                    | ErrorKind::CheckViolation
                    | ErrorKind::NotNullViolation
                    | ErrorKind::UniqueViolation
            ) =>
        {
            Error::invalid(
                "from",
                format!(
                    "{from} holds rows that {to} refuses ({}); nothing was copied",
                    e.message()
                ),
            )
        }
        _ => error,
    }
}

/// The database at `location`, which must already hold Tandem's schema: a copy never creates
/// its source.
async fn open_existing(location: &Location) -> Result<(Connection, Pool)> {
    if let Location::File(path) = location {
        if !path.is_file() {
            return Err(Error::invalid(
                "from",
                format!("there is no database at {}", path.display()),
            ));
        }
    }
    open(location).await
}

async fn open(location: &Location) -> Result<(Connection, Pool)> {
    match location {
        Location::File(path) => sqlite::open(path).await,
        Location::Server(url) => postgres::open(url).await,
    }
}

/// Whether the database holds any project or any logged change.
async fn holds_a_board(conn: &mut Conn<'_>) -> Result<bool> {
    query(
        "SELECT EXISTS (SELECT 1 FROM projects) OR EXISTS (SELECT 1 FROM changes)
            OR EXISTS (SELECT 1 FROM meta)",
    )
    .scalar(conn)
    .await
}

/// Removes a file the copy made (with SQLite's companions) after the copy failed.
fn remove_file(path: PathBuf) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

/// Everything a board is, as read from one snapshot.
pub(in crate::store) struct Board {
    meta: Vec<(String, String)>,
    pub(in crate::store) projects: Vec<Project>,
    columns: Vec<Column>,
    pub(in crate::store) tasks: Vec<Task>,
    subtasks: Vec<Subtask>,
    labels: Vec<Label>,
    task_labels: Vec<TaskLabel>,
    task_assignees: Vec<TaskAssignee>,
    comments: Vec<Comment>,
    changes: Vec<ChangeRow>,
}

impl Board {
    /// Reads the board, and its change log too when `log`.
    pub(in crate::store) async fn read(conn: &mut Conn<'_>, log: bool) -> Result<Board> {
        let all = |table: &str| query(format!("SELECT * FROM {table} ORDER BY 1"));
        let select = crate::store::change_select(conn.dialect());
        Ok(Board {
            meta: query("SELECT key, value FROM meta ORDER BY key")
                .fetch_all(&mut *conn)
                .await?,
            projects: all("projects").fetch_all(&mut *conn).await?,
            columns: all("columns").fetch_all(&mut *conn).await?,
            tasks: all("tasks").fetch_all(&mut *conn).await?,
            subtasks: all("subtasks").fetch_all(&mut *conn).await?,
            labels: all("labels").fetch_all(&mut *conn).await?,
            task_labels: all("task_labels").fetch_all(&mut *conn).await?,
            task_assignees: all("task_assignees").fetch_all(&mut *conn).await?,
            comments: all("comments").fetch_all(&mut *conn).await?,
            changes: if log {
                query(format!("{select} ORDER BY seq"))
                    .fetch_all(&mut *conn)
                    .await?
            } else {
                Vec::new()
            },
        })
    }

    /// Every row it holds, the log's included.
    fn rows(&self) -> u64 {
        self.board_rows() + (self.meta.len() + self.changes.len()) as u64
    }

    /// The rows of the board's own tables.
    pub(in crate::store) fn board_rows(&self) -> u64 {
        [
            self.projects.len(),
            self.columns.len(),
            self.tasks.len(),
            self.subtasks.len(),
            self.labels.len(),
            self.task_labels.len(),
            self.task_assignees.len(),
            self.comments.len(),
        ]
        .iter()
        .map(|n| *n as u64)
        .sum()
    }

    /// Inserts the board's rows, parents first, each at the version `version(id, its version)`
    /// gives; `step` hears of every row.
    pub(in crate::store) async fn insert_rows(
        &self,
        conn: &mut Conn<'_>,
        step: &mut impl FnMut(),
        version: impl Fn(&str, i64) -> i64,
    ) -> Result<()> {
        for r in &self.projects {
            query(
                "INSERT INTO projects (id, name, position, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&r.id)
            .bind(&r.name)
            .bind(r.position)
            .bind(version(&r.id.0, r.version))
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        for r in &self.columns {
            query(
                "INSERT INTO columns (id, project_id, name, position, wip_limit, version,
                    created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&r.id)
            .bind(&r.project_id)
            .bind(&r.name)
            .bind(r.position)
            .bind(r.wip_limit)
            .bind(version(&r.id.0, r.version))
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        for r in &self.tasks {
            query(
                "INSERT INTO tasks (id, project_id, column_id, title, description, priority,
                    due_date, position, version, created_at, updated_at, archived_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&r.id)
            .bind(&r.project_id)
            .bind(&r.column_id)
            .bind(&r.title)
            .bind(&r.description)
            .bind(r.priority)
            .bind(&r.due_date)
            .bind(r.position)
            .bind(version(&r.id.0, r.version))
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.archived_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        for r in &self.subtasks {
            query(
                "INSERT INTO subtasks (id, task_id, title, done, position, version, created_at,
                    updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&r.id)
            .bind(&r.task_id)
            .bind(&r.title)
            .bind(r.done)
            .bind(r.position)
            .bind(version(&r.id.0, r.version))
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        for r in &self.labels {
            query(
                "INSERT INTO labels (id, project_id, name, color, version, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&r.id)
            .bind(&r.project_id)
            .bind(&r.name)
            .bind(&r.color)
            .bind(version(&r.id.0, r.version))
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        for r in &self.task_labels {
            query("INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)")
                .bind(&r.task_id)
                .bind(&r.label_id)
                .execute(&mut *conn)
                .await?;
            step();
        }
        for r in &self.task_assignees {
            query("INSERT INTO task_assignees (task_id, login) VALUES ($1, $2)")
                .bind(&r.task_id)
                .bind(&r.login)
                .execute(&mut *conn)
                .await?;
            step();
        }
        for r in &self.comments {
            query(
                "INSERT INTO comments (id, task_id, author, body, version, created_at,
                    updated_at, edited_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&r.id)
            .bind(&r.task_id)
            .bind(&r.author)
            .bind(&r.body)
            .bind(r.version)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(r.edited_at)
            .execute(&mut *conn)
            .await?;
            step();
        }
        Ok(())
    }

    /// Writes the board over whatever `conn`'s database holds, inside the caller's transaction.
    async fn write(
        self,
        conn: &mut Conn<'_>,
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<Copied> {
        let total = self.rows();
        let mut done = 0;
        let mut step = |rows: u64| {
            done += rows;
            if done % PROGRESS_EVERY == 0 || done == total {
                progress(done, total);
            }
        };
        for table in TABLES.iter().rev().chain(&["changes", "meta"]) {
            query(format!("DELETE FROM {table}"))
                .execute(&mut *conn)
                .await?;
        }
        for (key, value) in &self.meta {
            query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            step(1);
        }
        self.insert_rows(&mut *conn, &mut || step(1), |_, version| version)
            .await?;
        // The inserts above logged themselves; the source's own log replaces those rows.
        query("DELETE FROM changes").execute(&mut *conn).await?;
        let dialect = conn.dialect();
        let json = |n: u8| match dialect {
            Dialect::Sqlite => format!("${n}"),
            Dialect::Postgres => format!("CAST(${n} AS jsonb)"),
        };
        let insert = format!(
            "INSERT INTO changes (seq, op, entity, entity_id, project_id, data, previous, origin,
                author, at)
             VALUES ($1, $2, $3, $4, $5, {}, {}, $8, $9, $10)",
            json(6),
            json(7)
        );
        let last = self.changes.last().map_or(0, |c| c.seq);
        let copied = Copied {
            rows: total - (self.meta.len() + self.changes.len()) as u64,
            changes: self.changes.len() as u64,
        };
        for c in self.changes {
            query(insert.clone())
                .bind(c.seq)
                .bind(c.op)
                .bind(c.entity)
                .bind(c.entity_id)
                .bind(c.project_id)
                .bind(c.data)
                .bind(c.previous)
                .bind(c.origin)
                .bind(c.author)
                .bind(c.at)
                .execute(&mut *conn)
                .await?;
            step(1);
        }
        // The next seq follows the copied log's last, with no gap from what the target held.
        match dialect {
            // AUTOINCREMENT then goes on from the highest seq in the table.
            Dialect::Sqlite => query("DELETE FROM sqlite_sequence WHERE name = 'changes'"),
            Dialect::Postgres => query("UPDATE log_head SET seq = $1").bind(last),
        }
        .execute(&mut *conn)
        .await?;
        Ok(copied)
    }
}
