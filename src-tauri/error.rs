//! The one error type of the core, and how it crosses the IPC boundary.
//!
//! Every variant is something a caller can act on. Internal details (SQL text, file paths) are
//! logged where the error is born and never put in the message a user sees.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use ts_rs::TS;

use crate::model::{Entity, EntityKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The entity does not exist (or no longer does).
    #[error("{entity} {id} was not found")]
    NotFound { entity: EntityKind, id: String },

    /// The caller's `expected_version` is stale: someone changed the entity since they read it.
    #[error("{} was changed elsewhere; reload and try again", .current.kind())]
    Conflict { current: Box<Entity> },

    /// A field's value is not acceptable. Nothing was written.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    /// The person's role in the project does not allow it (a team board's database refused
    /// it). Nothing was written.
    #[error("{reason}")]
    Forbidden { reason: String },

    /// The database could not do what was asked (I/O, corruption, lock timeout, schema).
    #[error("the database could not complete the request: {}", storage_reason(.0))]
    Storage(sqlx::Error),

    /// The database server cannot be reached. Nothing was written; the board as last seen stays.
    #[error("the database server {host} cannot be reached; nothing was changed")]
    Offline { host: String },

    /// The database server takes no more connections: every one its `max_connections` allows
    /// is in use. Nothing was written; Tandem tries again by itself.
    #[error(
        "the database server{} is full: all the connections its max_connections setting \
         allows are in use, so nothing was changed; Tandem tries again by itself. Its \
         administrator can raise max_connections (see the README)",
        .host.as_deref().map(|h| format!(" {h}")).unwrap_or_default()
    )]
    ServerFull { host: Option<String> },

    /// The database file is from a newer Tandem or could not be brought up to date.
    #[error("the database could not be upgraded: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The desktop could not open or change a window.
    #[error("the window could not be opened")]
    Window,

    /// The desktop could not open a file or folder for the user.
    #[error("{what} could not be opened: {reason}")]
    Open { what: String, reason: String },

    /// A value in the environment or configuration is unusable.
    #[error("{name}: {reason}")]
    Config { name: &'static str, reason: String },

    /// A change a machine queued was applied already (its number is at most the last the
    /// server recorded for that machine): sent again after a lost answer. Nothing was written.
    #[error("change {number} of this machine was applied already")]
    Applied { number: i64 },

    /// The link to the other instances failed (the hub's socket, or what came over it). The
    /// bridge says why in its own terms; the ground knows nothing of the wire.
    #[error("the link to the other instances failed: {0}")]
    Link(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<sqlx::Error> for Error {
    /// A server's refusal for lack of rights (insufficient_privilege: a row-level security
    /// policy, a missing grant, a role too low) is [`Error::Forbidden`]; anything else a storage
    /// failure.
    fn from(error: sqlx::Error) -> Self {
        match &error {
            // too_many_connections: a pool's connection refused for lack of slots.
            sqlx::Error::Database(e) if e.code().as_deref() == Some("53300") => {
                Error::ServerFull { host: None }
            }
            sqlx::Error::Database(e) if e.code().as_deref() == Some("42501") => {
                tracing::info!(error = %e, "the server refused a write for lack of rights");
                Error::Forbidden {
                    reason: "your role in this project does not allow this; nothing was changed"
                        .to_owned(),
                }
            }
            _ => Error::Storage(error),
        }
    }
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub fn not_found(entity: EntityKind, id: impl ToString) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// Whether the database connection itself failed (a server stopped or unreachable), as
    /// opposed to a statement being refused.
    pub fn is_disconnect(&self) -> bool {
        match self {
            Error::Offline { .. } => true,
            Error::Storage(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // PostgreSQL's classes 08 (connection exception) and 57P (operator
                // intervention: the server shutting down or restarting).
                sqlx::Error::Database(e) => e
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            },
            _ => false,
        }
    }

    /// This error again, for each of several callers it failed at once (writes that shared a
    /// commit): the same code and the same words.
    pub fn shared(&self) -> Error {
        match self {
            Error::Offline { host } => Error::Offline { host: host.clone() },
            Error::ServerFull { host } => Error::ServerFull { host: host.clone() },
            Error::Storage(sqlx::Error::Io(e)) => Error::Storage(sqlx::Error::Io(
                std::io::Error::new(e.kind(), e.to_string()),
            )),
            Error::Storage(sqlx::Error::Database(e)) => {
                use sqlx::error::ErrorKind;
                let kind = match e.kind() {
                    ErrorKind::UniqueViolation => Violation::Unique,
                    ErrorKind::ForeignKeyViolation => Violation::ForeignKey,
                    ErrorKind::NotNullViolation => Violation::NotNull,
                    ErrorKind::CheckViolation => Violation::Check,
                    _ => Violation::None,
                };
                let code = e.code().map(String::from);
                Error::Storage(sqlx::Error::Database(Box::new(Reported::new(
                    e.message(),
                    code,
                    kind,
                ))))
            }
            other => Error::Storage(sqlx::Error::Database(Box::new(Reported::new(
                &other.to_string(),
                None,
                Violation::None,
            )))),
        }
    }

    /// A stable, machine-readable name for the kind of failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Conflict { .. } => ErrorCode::Conflict,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::Storage(_) | Error::Migrate(_) => ErrorCode::Storage,
            Error::Offline { .. } => ErrorCode::Offline,
            Error::ServerFull { .. } => ErrorCode::ServerFull,
            Error::Config { .. } => ErrorCode::Config,
            Error::Window | Error::Open { .. } => ErrorCode::Window,
            Error::Link(_) => ErrorCode::Link,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::Applied { .. } => ErrorCode::Applied,
        }
    }
}

/// What a user may be told about a storage failure: SQLite's own words ("database is locked",
/// "file is not a database") or the kind of I/O failure, never SQL text or file paths.
fn storage_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(e) => e.message().to_owned(),
        sqlx::Error::Io(e) => e.kind().to_string(),
        sqlx::Error::PoolTimedOut => "it is busy; try again".to_owned(),
        _ => "an internal error (details are in the log)".to_owned(),
    }
}

/// A database's failure in its own words, as sqlx's drivers report theirs: how the writer's
/// direct SQLite calls report a failure, and how one failure is told again to each of the
/// writes that shared a transaction.
#[derive(Debug)]
pub(crate) struct Reported {
    message: String,
    code: Option<String>,
    kind: Violation,
}

/// The constraint a refused row broke, if that is why it was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    Unique,
    ForeignKey,
    NotNull,
    Check,
    None,
}

impl Reported {
    pub(crate) fn new(message: &str, code: Option<String>, kind: Violation) -> Reported {
        Reported {
            message: message.to_owned(),
            code,
            kind,
        }
    }
}

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Reported {}

impl sqlx::error::DatabaseError for Reported {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.code.as_deref().map(std::borrow::Cow::Borrowed)
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.kind {
            Violation::Unique => ErrorKind::UniqueViolation,
            Violation::ForeignKey => ErrorKind::ForeignKeyViolation,
            Violation::NotNull => ErrorKind::NotNullViolation,
            Violation::Check => ErrorKind::CheckViolation,
            Violation::None => ErrorKind::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Conflict,
    Invalid,
    Storage,
    Offline,
    ServerFull,
    Config,
    Window,
    Link,
    Forbidden,
    Applied,
}

/// What a command error looks like to the UI: `{code, message, ...details}`.
///
/// Only used to generate the TypeScript type; [`Error`]'s own `Serialize` writes this shape.
#[derive(TS)]
#[allow(dead_code)]
pub struct CommandError {
    code: ErrorCode,
    message: String,
    #[ts(optional)]
    field: Option<String>,
    #[ts(optional)]
    entity: Option<EntityKind>,
    #[ts(optional)]
    id: Option<String>,
    #[ts(optional)]
    current: Option<Entity>,
    #[ts(optional)]
    host: Option<String>,
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if let Error::Storage(e) = self {
            tracing::error!(error = %e, "storage error");
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", &self.code())?;
        map.serialize_entry("message", &self.to_string())?;
        match self {
            Error::NotFound { entity, id } => {
                map.serialize_entry("entity", entity)?;
                map.serialize_entry("id", id)?;
            }
            Error::Conflict { current } => map.serialize_entry("current", current)?,
            Error::Invalid { field, .. } => map.serialize_entry("field", field)?,
            Error::Config { name, .. } => map.serialize_entry("field", name)?,
            Error::Offline { host } => map.serialize_entry("host", host)?,
            Error::ServerFull { host } => map.serialize_entry("host", host)?,
            Error::Storage(_)
            | Error::Migrate(_)
            | Error::Window
            | Error::Open { .. }
            | Error::Link(_)
            | Error::Forbidden { .. }
            | Error::Applied { .. } => {}
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{ColumnId, Priority, ProjectId, Task, TaskId};

    fn to_json(error: &Error) -> serde_json::Value {
        serde_json::to_value(error).unwrap()
    }

    #[test]
    fn invalid_names_the_field() {
        assert_eq!(
            to_json(&Error::invalid("title", "must not be empty")),
            json!({"code": "invalid", "message": "title: must not be empty", "field": "title"})
        );
    }

    #[test]
    fn not_found_names_the_entity_and_id() {
        assert_eq!(
            to_json(&Error::not_found(EntityKind::Task, "t1")),
            json!({"code": "not_found", "message": "task t1 was not found", "entity": "task", "id": "t1"})
        );
    }

    #[test]
    fn conflict_carries_the_current_entity() {
        let task = Task {
            id: TaskId::from("t1"),
            project_id: ProjectId::from("p"),
            column_id: ColumnId::from("c"),
            title: "Theirs".into(),
            description: String::new(),
            priority: Priority::High,
            due_date: None,
            position: 1,
            version: 3,
            created_at: 0,
            updated_at: 0,
            archived_at: None,
        };
        let value = to_json(&Error::Conflict {
            current: Box::new(Entity::Task(task)),
        });
        assert_eq!(value["code"], "conflict");
        assert_eq!(value["current"]["entity"], "task");
        assert_eq!(value["current"]["title"], "Theirs");
        assert_eq!(value["current"]["version"], 3);
    }

    #[test]
    fn an_error_told_to_every_write_of_a_shared_commit_keeps_its_words_and_kind() {
        let refused = Error::Storage(sqlx::Error::Database(Box::new(Reported::new(
            "UNIQUE constraint failed: tasks.id",
            Some("2067".into()),
            Violation::Unique,
        ))));
        let Error::Storage(sqlx::Error::Database(told)) = refused.shared() else {
            panic!("still a database error");
        };
        assert_eq!(told.message(), "UNIQUE constraint failed: tasks.id");
        assert_eq!(told.code().as_deref(), Some("2067"));
        assert!(told.is_unique_violation());
        let offline = Error::Offline {
            host: "db.example".into(),
        };
        assert!(matches!(offline.shared(), Error::Offline { host } if host == "db.example"));
    }

    #[test]
    fn storage_errors_say_what_sqlite_said_and_nothing_more() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "/home/me/secret.db");
        let value = to_json(&Error::Storage(sqlx::Error::Io(io)));
        assert_eq!(value["code"], "storage");
        let message = value["message"].as_str().unwrap();
        assert!(message.contains("permission denied"), "{message}");
        assert!(!message.contains("secret.db"), "no paths: {message}");
    }
}
