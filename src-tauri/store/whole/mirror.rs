//! A server board's copy on this machine (a SQLite file): everything the person may see, and
//! the change log up to the last change seen, kept current from the log. A board can then be
//! shown, searched and exported while the server is away.
//!
//! The first time (or when the file is not a copy this store can bring up to date) the whole
//! board is copied, as `tandem db copy` does; after that each change the server logged since the
//! copy's last seq is applied to its row, in one transaction, and the copy's own log rows are
//! replaced by the server's, seq for seq, so history, search and `--since` read alike.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::config::{Location, ServerUrl};
use crate::error::{Error, Result};
use crate::model::{EntityKind, Op};
use crate::store::log::{change_select, ChangeRow};
use crate::store::sql::{query, sqlite, Conn, Value};
use crate::store::{Dialect, Store};

/// What bringing a copy up to date did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Mirrored {
    /// Whether the whole board was copied (the first time, or a copy that could not be used).
    pub whole: bool,
    /// Changes applied to the copy.
    pub changes: usize,
    /// The last seq the copy holds.
    pub seq: i64,
}

/// Where this machine keeps its copy of the board at `url`: a file under the cache folder,
/// named after the URL without its password (so another person's, or another database's,
/// copy is another file).
pub fn copy_path(cache: &Path, url: &ServerUrl) -> PathBuf {
    let shown = url.to_string();
    let digest = sha2::Sha256::digest(shown.as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let database = url::Url::parse(&shown)
        .ok()
        .map(|u| u.path().trim_matches('/').to_owned())
        .unwrap_or_default();
    let readable: String = format!("{}-{database}", url.host())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.join("servers").join(format!("{readable}-{short}.db"))
}

/// The table that holds an entity's rows on a file, and the columns that name a row; `None`
/// for what a file does not keep (memberships, a person's watching and news).
fn table_of(entity: EntityKind) -> Option<(&'static str, &'static [&'static str])> {
    Some(match entity {
        EntityKind::Project => ("projects", &["id"]),
        EntityKind::Column => ("columns", &["id"]),
        EntityKind::Task => ("tasks", &["id"]),
        EntityKind::Subtask => ("subtasks", &["id"]),
        EntityKind::Label => ("labels", &["id"]),
        EntityKind::TaskLabel => ("task_labels", &["task_id", "label_id"]),
        EntityKind::TaskAssignee => ("task_assignees", &["task_id", "login"]),
        EntityKind::Comment => ("comments", &["id"]),
        EntityKind::Member | EntityKind::Watch | EntityKind::ProjectWatch | EntityKind::News => {
            return None
        }
    })
}

impl Store {
    /// Opens this machine's copy `file` of the board at `url`, whose server is away: it reads
    /// as the board did when last seen, and refuses every write as offline.
    pub async fn open_copy(
        url: &ServerUrl,
        file: &Path,
        origin: &crate::model::Origin,
    ) -> Result<Store> {
        if !file.is_file() {
            return Err(Error::Offline { host: url.host() });
        }
        let mut store = Store::open(Location::File(file.to_path_buf()), origin).await?;
        store.copy_of = Some(url.clone());
        Ok(store)
    }

    /// Where this machine keeps its copy of this server board (the file open now, when the
    /// store is the copy); none for a board in a file.
    pub fn outbox_file(&self) -> Option<std::path::PathBuf> {
        match (&self.copy_of, &self.location) {
            (Some(_), Location::File(file)) => Some(file.clone()),
            (None, Location::Server(url)) => crate::config::copy_of(url),
            _ => None,
        }
    }

    /// The server whose board this is a copy of, when it is one.
    pub fn copy_of(&self) -> Option<&ServerUrl> {
        self.copy_of.as_ref()
    }

    /// For a copy: whether its server answers again.
    pub async fn server_is_back(&self) -> bool {
        match &self.copy_of {
            Some(url) => {
                crate::store::sql::postgres::reachable(url, std::time::Duration::from_secs(1)).await
            }
            None => false,
        }
    }

    /// Brings the copy of this server board at `file` up to date: the whole board the first
    /// time, then the changes logged since. A file store has no copy to keep.
    pub async fn mirror_to(&self, file: &Path) -> Result<Mirrored> {
        if self.dialect() != Dialect::Postgres {
            return Err(Error::invalid(
                "copy",
                "only a server's board is copied to this machine",
            ));
        }
        if let Some(parent) = file.parent() {
            make_private_folder(parent)?;
        }
        // Changes made here wait to be sent: the copy shows them until they are.
        if file.is_file() && Store::waiting(file).await? > 0 {
            return Ok(Mirrored {
                whole: false,
                changes: 0,
                seq: 0,
            });
        }
        let held = match file.is_file() {
            true => self.apply_since(file).await,
            false => Err(Error::invalid("copy", "no copy yet")),
        };
        match held {
            Ok(mirrored) => Ok(mirrored),
            Err(e) => {
                if file.is_file() {
                    tracing::info!(error = %e, "the local copy is copied anew");
                }
                let copied = crate::store::copy(
                    &self.location,
                    &Location::File(file.to_path_buf()),
                    true,
                    |_, _| {},
                )
                .await?;
                make_private(file)?;
                let seq = self.apply_since(file).await?.seq;
                Ok(Mirrored {
                    whole: true,
                    changes: copied.changes as usize,
                    seq,
                })
            }
        }
    }

    /// Applies to the copy at `file` every change the server logged after the copy's last.
    async fn apply_since(&self, file: &Path) -> Result<Mirrored> {
        let (mut copy, _) = sqlite::open(file).await?;
        let mut tx = copy.begin_write().await?;
        let mut conn = tx.conn();
        let held: i64 = query("SELECT coalesce(max(seq), 0) FROM changes")
            .scalar(&mut conn)
            .await?;
        let select = change_select(Dialect::Postgres);
        let rows: Vec<ChangeRow> = query(format!("{select} WHERE seq > $1 ORDER BY seq"))
            .bind(held)
            .fetch_all(&mut self.readers.acquire().await?.conn())
            .await?;
        let mut columns: HashMap<&'static str, Vec<String>> = HashMap::new();
        for row in &rows {
            apply(&mut conn, row, &mut columns).await?;
        }
        // The rows above logged themselves anew: the server's log replaces them.
        query("DELETE FROM changes WHERE seq > $1")
            .bind(held)
            .execute(&mut conn)
            .await?;
        for c in &rows {
            query(
                "INSERT INTO changes (seq, op, entity, entity_id, project_id, data, previous,
                    origin, author, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(c.seq)
            .bind(c.op.as_str())
            .bind(c.entity.as_str())
            .bind(&c.entity_id)
            .bind(c.project_id.as_ref().map(|p| p.0.as_str()))
            .bind(c.data.as_deref())
            .bind(c.previous.as_deref())
            .bind(c.origin.as_deref())
            .bind(c.author.as_deref())
            .bind(c.at)
            .execute(&mut conn)
            .await?;
        }
        query("DELETE FROM sqlite_sequence WHERE name = 'changes'")
            .execute(&mut conn)
            .await?;
        let seq = rows.last().map_or(held, |c| c.seq);
        tx.commit().await?;
        Ok(Mirrored {
            whole: false,
            changes: rows.len(),
            seq,
        })
    }
}

/// Puts one logged change on its row of the copy: the row as the log says it now is, or gone.
async fn apply(
    conn: &mut Conn<'_>,
    change: &ChangeRow,
    columns: &mut HashMap<&'static str, Vec<String>>,
) -> Result<()> {
    let Some((table, key)) = table_of(change.entity) else {
        return Ok(());
    };
    if !columns.contains_key(table) {
        let names: Vec<String> = query(format!("SELECT name FROM pragma_table_info('{table}')"))
            .scalars(&mut *conn)
            .await?;
        columns.insert(table, names);
    }
    let known = columns[table].clone();
    match change.op {
        Op::Delete => {
            let row = json(&change.previous)?;
            let mut statement = query(format!(
                "DELETE FROM {table} WHERE {}",
                key.iter()
                    .enumerate()
                    .map(|(i, k)| format!("{k} = ${}", i + 1))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ));
            for k in key {
                statement = statement.bind(value(row.get(*k)));
            }
            statement.execute(&mut *conn).await?;
        }
        Op::Insert | Op::Update => {
            let row = json(&change.data)?;
            let fields: Vec<&String> = known.iter().filter(|c| row.contains_key(*c)).collect();
            if fields.is_empty() {
                return Ok(());
            }
            let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
            let places: Vec<String> = (1..=fields.len()).map(|i| format!("${i}")).collect();
            let updates: Vec<String> = names
                .iter()
                .filter(|n| !key.contains(n))
                .map(|n| format!("{n} = excluded.{n}"))
                .collect();
            let conflict = if updates.is_empty() {
                "DO NOTHING".to_owned()
            } else {
                format!("DO UPDATE SET {}", updates.join(", "))
            };
            let mut statement = query(format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
                names.join(", "),
                places.join(", "),
                key.join(", ")
            ));
            for field in &fields {
                statement = statement.bind(value(row.get(*field)));
            }
            statement.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// A logged row's fields.
fn json(text: &Option<String>) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = text.as_deref().unwrap_or("{}");
    serde_json::from_str(text).map_err(|e| Error::Storage(sqlx::Error::Decode(Box::new(e))))
}

/// A JSON value from the log as the value a column takes.
fn value(json: Option<&serde_json::Value>) -> Value {
    match json {
        None | Some(serde_json::Value::Null) => Value::Text(None),
        Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(Some(i)),
            None => Value::Text(Some(n.to_string())),
        },
        Some(serde_json::Value::String(s)) => Value::Text(Some(s.clone())),
        Some(other) => Value::Text(Some(other.to_string())),
    }
}

/// Makes `folder` (and its parents), readable by the user alone.
fn make_private_folder(folder: &Path) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|e| Error::Open {
        what: folder.display().to_string(),
        reason: e.to_string(),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Makes the copy's file readable and writable by the user alone.
fn make_private(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            Error::Open {
                what: file.display().to_string(),
                reason: e.to_string(),
            }
        })?;
    }
    Ok(())
}
