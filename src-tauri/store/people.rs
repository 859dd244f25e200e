//! People: who a person is on this database, and their display name and colour.
//!
//! On a server a person is their PostgreSQL login (`session_user`), which the server
//! authenticated and no client can change; the log's trigger writes it as each change's author.
//! On a file a person is the operating system's login, which the store stamps on its changes.
//! Each person edits only their own record (on a server, row-level security says so).

use crate::error::Result;
use crate::model::Person;
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{now_ms, Store};
use crate::validate;

/// Colours for people's initials, all legible under white text (WCAG AA): a login always gets
/// the same one until its person picks another.
const PALETTE: [&str; 10] = [
    "#3559b5", "#b3261e", "#2e6b30", "#7b2f9e", "#a3195b", "#00695c", "#6d4c41", "#b34700",
    "#455a64", "#5e35b1",
];

/// A change to one's own record; a field left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonEdit {
    pub name: Option<String>,
    pub color: Option<String>,
}

impl Store {
    /// The login changes made through this store are written under.
    pub fn login(&self) -> &str {
        &self.login
    }

    /// Who this store's person is, with their name and colour: as the board knows them, or
    /// named after their login when it does not (yet).
    pub async fn me(&self) -> Result<Person> {
        let known: Option<Person> = query("SELECT * FROM people WHERE login = $1")
            .bind(&self.login)
            .fetch_optional(&self.readers)
            .await?;
        Ok(known.unwrap_or_else(|| Person {
            login: self.login.clone(),
            name: self.login.clone(),
            color: color_for(&self.login).to_owned(),
            version: 0,
            created_at: 0,
            updated_at: 0,
        }))
    }

    /// Each person's name, by login: for saying who did something.
    pub async fn names(&self) -> Result<std::collections::HashMap<String, String>> {
        Ok(self
            .people()
            .await?
            .into_iter()
            .map(|p| (p.login, p.name))
            .collect())
    }

    /// Each project's name the person may see, by id: for saying where something happened.
    pub async fn project_names(
        &self,
    ) -> Result<std::collections::HashMap<crate::model::ProjectId, String>> {
        Ok(self
            .projects()
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    }

    /// Everyone the board knows, by login.
    pub async fn people(&self) -> Result<Vec<Person>> {
        query("SELECT * FROM people ORDER BY login")
            .fetch_all(&self.readers)
            .await
    }

    /// Changes this store's person's own name or colour. A blank name or a colour not written
    /// `#RRGGBB` is refused and changes nothing.
    pub async fn edit_me(&self, edit: PersonEdit) -> Result<Person> {
        let name = edit
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let color = edit
            .color
            .as_deref()
            .map(|c| validate::color("color", c))
            .transpose()?;
        let mut me = self.me().await?;
        let changed = name.as_ref().is_some_and(|n| *n != me.name)
            || color.as_ref().is_some_and(|c| *c != me.color);
        if !changed {
            return Ok(me);
        }
        me.name = name.unwrap_or(me.name);
        me.color = color.unwrap_or(me.color);
        let mut writer = self.writer().await;
        let update = async {
            let conn = self.connected(&mut writer).await?;
            introduce(&mut conn.conn(), &self.login).await?;
            query(
                "UPDATE people SET name = $1, color = $2, version = version + 1, updated_at = $3
                 WHERE login = $4 RETURNING *",
            )
            .bind(&me.name)
            .bind(&me.color)
            .bind(now_ms())
            .bind(&self.login)
            .fetch_one(&mut conn.conn())
            .await
        };
        let updated = update.await;
        self.settle(&mut writer, updated)
    }
}

/// The group role of a team database's people: one per database, so a login of one team's
/// board is nothing on another's on the same server.
fn team_role(database: &str) -> String {
    format!("tandem:{database}")
}

/// `name` as a quoted SQL identifier.
fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a quoted SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What `tandem team init` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Team {
    /// The group role whose members may use the board.
    pub role: String,
    /// The database's owner, who ran it.
    pub owner: String,
}

impl Store {
    /// Turns a server database into a team's: a group role of its own (`tandem:<database>`)
    /// whose members may read and write the board's tables, as the database's policies allow,
    /// and read the log, which only its trigger writes. Run by the database's owner; running it
    /// again changes nothing. On a file there is no team: the file's permissions are its
    /// access control.
    pub async fn team_init(&self) -> Result<Team> {
        self.administer(async |conn: &mut Conn<'_>| {
            let (database, schema, owner): (String, String, String) = query(
                "SELECT current_database()::text, current_schema()::text,
                        pg_get_userbyid(n.nspowner)::text
                 FROM pg_namespace n WHERE n.nspname = current_schema()",
            )
            .fetch_one(&mut *conn)
            .await?;
            let role = team_role(&database);
            let (group, schema) = (identifier(&role), identifier(&schema));
            let statements = [
                format!(
                    "DO $$ BEGIN
                         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {}) THEN
                             CREATE ROLE {group} NOLOGIN;
                         END IF;
                     END $$",
                    literal(&role)
                ),
                format!(
                    "REVOKE ALL ON DATABASE {} FROM PUBLIC",
                    identifier(&database)
                ),
                format!(
                    "GRANT CONNECT, TEMPORARY ON DATABASE {} TO {group}",
                    identifier(&database)
                ),
                format!("GRANT USAGE ON SCHEMA {schema}, tandem_auth TO {group}"),
                format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {group}"),
                format!(
                    "GRANT INSERT, UPDATE, DELETE ON projects, columns, tasks, subtasks, labels,
                         task_labels, task_assignees, members, people TO {group}"
                ),
                // A comment's author and card are the database's to keep: only its words change.
                format!("GRANT INSERT, DELETE ON comments TO {group}"),
                format!(
                    "GRANT UPDATE (body, version, updated_at, edited_at) ON comments TO {group}"
                ),
                // Watching is one's own; news is written by the server, only read and
                // marked (or deleted) by its person.
                format!("GRANT INSERT, UPDATE, DELETE ON watching, project_watching TO {group}"),
                format!("GRANT UPDATE (read_at), DELETE ON news TO {group}"),
                // Who is here: one's own rows only (row-level security).
                format!("GRANT INSERT, UPDATE, DELETE ON presence TO {group}"),
                // Each machine's count of queued changes applied (exactly once).
                format!("GRANT INSERT, UPDATE (last) ON replays TO {group}"),
                // A write takes the log's lock (`SELECT ... FOR UPDATE`), which needs the right
                // to update some column: only the constant one, so the seq stays the trigger's.
                format!("GRANT UPDATE (one) ON log_head TO {group}"),
                format!(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {group}"
                ),
            ];
            for statement in statements {
                query(statement).execute(&mut *conn).await?;
            }
            query(
                "INSERT INTO meta (key, value) VALUES ('team_role', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(&role)
            .execute(&mut *conn)
            .await?;
            Ok(Team { role, owner })
        })
        .await
    }

    /// Runs `work` in one transaction on the writer's connection, as the team's administration
    /// does: all of it or nothing. A refusal for lack of rights says who may do it.
    async fn administer<T>(&self, work: impl AsyncFnOnce(&mut Conn<'_>) -> Result<T>) -> Result<T> {
        if self.dialect() != Dialect::Postgres {
            return Err(not_on_a_file());
        }
        let mut writer = self.writer().await;
        let done = async {
            let conn = self.connected(&mut writer).await?;
            let mut conn = conn.conn();
            query("BEGIN").execute(&mut conn).await?;
            match work(&mut conn).await {
                Ok(value) => {
                    query("COMMIT").execute(&mut conn).await?;
                    Ok(value)
                }
                Err(e) => {
                    let _ = query("ROLLBACK").execute(&mut conn).await;
                    Err(refused_to_owner(e))
                }
            }
        };
        let done = done.await;
        self.settle(&mut writer, done)
    }
}

impl Store {
    /// Lets `login` use this team database: made a login with `password` when the server has
    /// no such role (the caller needs the right to create roles), and made a member of the
    /// team's group either way; known to the board as `name` (the login when `None`).
    pub async fn team_add(
        &self,
        login: &str,
        name: Option<&str>,
        password: Option<&str>,
    ) -> Result<Person> {
        let login = validate::login(login)?;
        let name = validate::name("name", name.unwrap_or(&login))?;
        self.administer(async |conn: &mut Conn<'_>| {
            let role: Option<String> = query("SELECT value FROM meta WHERE key = 'team_role'")
                .scalar_optional(&mut *conn)
                .await?;
            let role = role.ok_or_else(|| crate::error::Error::Config {
                name: "TANDEM_DB",
                reason: "this database is not a team's yet: its owner runs `tandem team init` \
                         first"
                    .to_owned(),
            })?;
            let exists: bool = query("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(&login)
                .scalar(&mut *conn)
                .await?;
            let password = password.map(|p| format!(" PASSWORD {}", literal(p)));
            let made = match (exists, password) {
                (false, password) => Some(format!(
                    "CREATE ROLE {} LOGIN{}",
                    identifier(&login),
                    password.unwrap_or_default()
                )),
                (true, Some(password)) => {
                    Some(format!("ALTER ROLE {}{password}", identifier(&login)))
                }
                (true, None) => None,
            };
            if let Some(statement) = made {
                query(statement).execute(&mut *conn).await?;
            }
            query(format!(
                "GRANT {} TO {}",
                identifier(&role),
                identifier(&login)
            ))
            .execute(&mut *conn)
            .await?;
            query(
                "INSERT INTO people (login, name, color, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (login) DO UPDATE SET name = excluded.name,
                     version = people.version + 1, updated_at = excluded.updated_at
                 RETURNING *",
            )
            .bind(&login)
            .bind(&name)
            .bind(color_for(&login))
            .bind(now_ms())
            .fetch_one(&mut *conn)
            .await
        })
        .await
    }
}

/// Refused on a file: it has one person, and its permissions are its access control.
fn not_on_a_file() -> crate::error::Error {
    crate::error::Error::Config {
        name: "TANDEM_DB",
        reason: "a file has no team: people and their roles live on a server board \
                 (postgres://...); the file's permissions decide who may open it"
            .to_owned(),
    }
}

/// A statement of `team init` or `team add` the server refused for lack of rights: a login
/// that does not own the database, or cannot create roles.
fn refused_to_owner(error: crate::error::Error) -> crate::error::Error {
    match error {
        crate::error::Error::Forbidden { .. } => crate::error::Error::Config {
            name: "TANDEM_DB",
            reason: "only the database's owner, with the right to create roles, can do this"
                .to_owned(),
        },
        other => other,
    }
}

/// The login of the person using `conn`'s database: on a server, its `session_user`; on a
/// file, the operating system's.
pub(super) async fn login(conn: &mut Conn<'_>) -> Result<String> {
    match conn.dialect() {
        Dialect::Postgres => query("SELECT session_user::text").scalar(conn).await,
        Dialect::Sqlite => Ok(os_login().0),
    }
}

/// Makes `login`'s record when the board does not know them yet: named after the operating
/// system's full name for them on a file, after the login on a server, in the palette's colour
/// for the login. A read when they are known, so opening stays cheap.
pub(super) async fn introduce(conn: &mut Conn<'_>, login: &str) -> Result<()> {
    let known: bool = query("SELECT EXISTS (SELECT 1 FROM people WHERE login = $1)")
        .bind(login)
        .scalar(&mut *conn)
        .await?;
    if known {
        return Ok(());
    }
    let name = match conn.dialect() {
        Dialect::Sqlite => os_login().1,
        Dialect::Postgres => None,
    }
    .unwrap_or_else(|| login.to_owned());
    let now = now_ms();
    query(
        "INSERT INTO people (login, name, color, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (login) DO NOTHING",
    )
    .bind(login)
    .bind(&name)
    .bind(color_for(login))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The palette's colour for `login`, the same on every machine.
pub fn color_for(login: &str) -> &'static str {
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = login.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// The operating system's login of this process's user, and their full name when the system
/// knows one (the first field of the passwd entry's GECOS).
#[cfg(unix)]
pub fn os_login() -> (String, Option<String>) {
    use std::ffi::CStr;
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: every pointer is valid for the call and the buffer's length is passed; the
    // strings read afterwards point into `buffer`, which outlives them.
    let status = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if status == 0 && !found.is_null() && !entry.pw_name.is_null() {
        // SAFETY: getpwuid_r succeeded, so the fields are NUL-terminated strings in `buffer`.
        let login = unsafe { CStr::from_ptr(entry.pw_name) }
            .to_string_lossy()
            .into_owned();
        let full = (!entry.pw_gecos.is_null())
            .then(|| {
                unsafe { CStr::from_ptr(entry.pw_gecos) }
                    .to_string_lossy()
                    .into_owned()
            })
            .and_then(|gecos| {
                let name = gecos.split(',').next().unwrap_or("").trim().to_owned();
                (!name.is_empty()).then_some(name)
            });
        return (login, full);
    }
    (env_login(), None)
}

#[cfg(not(unix))]
pub fn os_login() -> (String, Option<String>) {
    (env_login(), None)
}

/// The login the environment names, for a system without a user database entry.
fn env_login() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "me".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::store::testing;

    #[test]
    fn a_login_always_gets_the_same_colour_from_the_palette() {
        assert_eq!(color_for("alice"), color_for("alice"));
        assert!(PALETTE.contains(&color_for("bob")));
        let spread: std::collections::HashSet<_> = ["alice", "bob", "carol", "dave", "erin"]
            .map(color_for)
            .into();
        assert!(spread.len() > 1, "not everyone the same colour");
    }

    #[tokio::test]
    async fn on_a_file_the_person_is_the_os_login_and_authors_every_change() {
        let t = testing::store().await;
        let (login, _) = os_login();
        assert_eq!(t.store.login(), login);
        let me = t.store.me().await.unwrap();
        assert_eq!(
            (me.login.as_str(), me.color.as_str()),
            (login.as_str(), color_for(&login))
        );
        let project = t.store.first_project().await.unwrap().id;
        let new = crate::store::NewTask {
            project_id: project,
            column_id: None,
            title: "Mine".into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap();
        let log = t.store.changes_since(0, None).await.unwrap().changes;
        assert_eq!(log.last().unwrap().author.as_deref(), Some(login.as_str()));
    }

    #[tokio::test]
    async fn a_person_edits_their_name_and_colour_and_bad_values_change_nothing() {
        let t = testing::store().await;
        let me = t
            .store
            .edit_me(PersonEdit {
                name: Some("  Alice Liddell ".into()),
                color: Some("#AA3300".into()),
            })
            .await
            .unwrap();
        assert_eq!(
            (me.name.as_str(), me.color.as_str()),
            ("Alice Liddell", "#aa3300")
        );
        assert_eq!(me.version, 2);
        for bad in [
            PersonEdit {
                name: Some("   ".into()),
                color: None,
            },
            PersonEdit {
                name: None,
                color: Some("red".into()),
            },
        ] {
            let refused = t.store.edit_me(bad).await.unwrap_err();
            assert!(matches!(refused, Error::Invalid { .. }), "{refused:?}");
        }
        assert_eq!(t.store.me().await.unwrap(), me);
    }
}
