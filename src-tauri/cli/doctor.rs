//! `tandem doctor`: checks the set-up, one line per check: passed (✓); failed (✗), with what to
//! do, for what stops Tandem working; a warning (⚠), with what it costs, for what it does
//! without; or not checked (–), with why. It exits with 1 only when a check failed. It reads and
//! asks, and changes nothing: not the database, not a folder's mode.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bridge::{self, Endpoint};
use crate::config::{self, Location};
use crate::error::Error;
use crate::settings::{self, SettingsFile};
use crate::store::{self, Found};

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: "database", "schema", "socket folder", …
    pub check: &'static str,
    /// Whether Tandem works as far as this check goes: false only when it failed.
    pub ok: bool,
    pub status: Status,
    /// What was found.
    pub found: String,
    /// What to do about it (a failure), or what going without costs (a warning).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// Something optional is missing: Tandem works without it, at a cost.
    Warn,
    /// Something Tandem needs is wrong.
    Fail,
    /// Nothing to check it against (no desktop session for a tray).
    NotChecked,
}

impl Check {
    fn new(check: &'static str, status: Status, found: String, fix: Option<String>) -> Check {
        Check {
            check,
            ok: status != Status::Fail,
            status,
            found,
            fix,
        }
    }

    fn pass(check: &'static str, found: impl Into<String>) -> Check {
        Check::new(check, Status::Pass, found.into(), None)
    }

    fn fail(check: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(check, Status::Fail, found.into(), Some(fix.into()))
    }

    fn warn(check: &'static str, found: impl Into<String>, cost: impl Into<String>) -> Check {
        Check::new(check, Status::Warn, found.into(), Some(cost.into()))
    }

    fn not_checked(check: &'static str, why: impl Into<String>) -> Check {
        Check::new(
            check,
            Status::NotChecked,
            format!("not checked: {}", why.into()),
            None,
        )
    }

    /// The check as a line: a mark, its name, what was found, and what to do.
    pub fn line(&self) -> String {
        let mark = match self.status {
            Status::Pass => '✓',
            Status::Warn => '⚠',
            Status::Fail => '✗',
            Status::NotChecked => '–',
        };
        match &self.fix {
            Some(fix) => format!("{mark} {:<14} {}: {fix}", self.check, self.found),
            None => format!("{mark} {:<14} {}", self.check, self.found),
        }
    }
}

/// Runs every check, for the database `db` (`--db` or `TANDEM_DB`) or the one the settings or
/// the defaults choose.
pub async fn checks(db: Option<&str>) -> Vec<Check> {
    let settings = settings_file();
    let location = config::location(db, settings::chosen_database().as_deref());
    let mut checks = Vec::new();
    match &location {
        Ok((location, _)) => {
            checks.extend(database(location).await);
            checks.push(socket_folder());
            checks.push(hub(location).await);
        }
        Err(e) => checks.push(Check::fail(
            "database",
            e.to_string(),
            "pass --db PATH, or set TANDEM_DB",
        )),
    }
    checks.push(settings);
    let tray = Optional {
        check: "tray",
        name: TRAY,
        good: "a tray host (a StatusNotifierWatcher) shows Tandem's icon",
        cost: "Tandem shows no icon in the tray and works from its windows; for the icon, \
               install a tray host (a StatusNotifier applet of your desktop's panel, or \
               status-notifier-watcher)",
    };
    let notifications = Optional {
        check: "notifications",
        name: NOTIFICATIONS,
        good: "a notification daemon tells of changes made elsewhere",
        cost: "changes made elsewhere and news are not told in notifications, only in \
               the windows; for them, install a notification daemon (your desktop's, or dunst)",
    };
    match no_desktop_session() {
        None => {
            checks.push(tray.ask().await);
            checks.push(notifications.ask().await);
        }
        Some(why) => {
            checks.push(Check::not_checked(tray.check, why));
            checks.push(Check::not_checked(notifications.check, why));
        }
    }
    checks.push(log_folder());
    checks
}

/// The session bus name a tray host owns.
const TRAY: &str = "org.kde.StatusNotifierWatcher";
/// The session bus name a notification daemon owns (or starts on demand).
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";

/// The database opens and passes its integrity check (a file), or answers (a server); and its
/// schema is one this Tandem can use.
async fn database(location: &Location) -> Vec<Check> {
    let health = match store::health(location).await {
        Ok(health) => health,
        Err(e) => {
            let fix = match (location, &e) {
                (Location::Server(_), crate::error::Error::ServerFull { .. }) => {
                    "the server takes no more connections: its administrator can raise \
                     max_connections (each costs the server a few megabytes; see the README); \
                     Tandem retries by itself"
                }
                (Location::Server(_), _) => {
                    "check that the server runs and the URL, user and password are right"
                }
                (Location::File(_), _) => {
                    "point Tandem at its own database (--db, TANDEM_DB or Settings), or restore a backup with tandem restore"
                }
            };
            return vec![Check::fail("database", reason(&e), fix)];
        }
    };
    let what = location.to_string();
    let database = match (&health.found, &health.damage) {
        (Found::NewFile, _) => Check::pass(
            "database",
            format!("{what} does not exist yet: Tandem makes it when it first starts"),
        ),
        (Found::Empty, _) => Check::pass(
            "database",
            format!("{what} is empty: Tandem sets it up when it first opens it"),
        ),
        (Found::Board { projects, tasks }, None) => Check::pass(
            "database",
            format!(
                "{what} holds {projects} project{} and {tasks} card{}{}",
                plural(*projects),
                plural(*tasks),
                if location.file().is_some() {
                    "; its integrity check passes"
                } else {
                    "; the server answers"
                }
            ),
        ),
        (Found::Board { .. }, Some(damage)) => Check::fail(
            "database",
            format!("{what} is damaged ({damage})"),
            format!(
                "restore the latest backup with tandem restore FILE (backups are in {})",
                config::backup_dir()
                    .map_or_else(|_| "the data folder".into(), |d| d.display().to_string())
            ),
        ),
    };
    let schema = match health.schema {
        None => Check::pass(
            "schema",
            "none yet: made when Tandem first opens the database",
        ),
        Some(v) if v == health.newest => Check::pass("schema", format!("up to date ({v})")),
        Some(v) if v < health.newest => Check::pass(
            "schema",
            format!(
                "{v}, older than this Tandem's {}: brought up to date when Tandem opens it",
                health.newest
            ),
        ),
        Some(v) => Check::fail(
            "schema",
            format!("{v}, newer than this Tandem knows ({})", health.newest),
            "update Tandem to the version that wrote it",
        ),
    };
    let mut checks = vec![database, schema];
    if let Some(c) = health.connections {
        let open = c.allowed - c.reserved;
        checks.push(if c.in_use < open {
            Check::pass(
                "connections",
                format!(
                    "{} of the {open} the server allows are in use (max_connections {}, {} kept \
                     for superusers)",
                    c.in_use, c.allowed, c.reserved
                ),
            )
        } else {
            Check::fail(
                "connections",
                format!(
                    "{} in use: the server is full (max_connections {}, {} kept for superusers)",
                    c.in_use, c.allowed, c.reserved
                ),
                "its administrator can raise max_connections (each costs the server a few megabytes; see the README)",
            )
        });
    }
    checks
}

/// The folder of the hub's socket is private to the user (mode 700), or not made yet.
fn socket_folder() -> Check {
    let dir = match Endpoint::folder() {
        Ok(dir) => dir,
        Err(e) => {
            return Check::fail(
                "socket folder",
                format!("there is none ({e})"),
                "set XDG_RUNTIME_DIR (your session usually does), or HOME",
            )
        }
    };
    let dir = dir.as_path();
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Check::pass(
            "socket folder",
            format!(
                "{} is made, private, when Tandem first starts",
                dir.display()
            ),
        ),
        Err(e) => Check::fail(
            "socket folder",
            format!("{} cannot be read ({})", dir.display(), e.kind()),
            format!("check who owns it: ls -ld {}", dir.display()),
        ),
        Ok(meta) => private_folder(dir, &meta),
    }
}

#[cfg(unix)]
fn private_folder(dir: &Path, meta: &std::fs::Metadata) -> Check {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = meta.permissions().mode() & 0o777;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.is_dir() {
        Check::fail(
            "socket folder",
            format!("{} is not a folder", dir.display()),
            format!("remove it: rm {}", dir.display()),
        )
    } else if meta.uid() != me {
        Check::fail(
            "socket folder",
            format!(
                "{} belongs to another user (uid {})",
                dir.display(),
                meta.uid()
            ),
            "remove it, or set XDG_RUNTIME_DIR to a folder of your own",
        )
    } else if mode & 0o077 != 0 {
        Check::fail(
            "socket folder",
            format!("{} is open to other users (mode {mode:o})", dir.display()),
            format!("chmod 700 {}", dir.display()),
        )
    } else {
        Check::pass("socket folder", format!("{} is private", dir.display()))
    }
}

#[cfg(not(unix))]
fn private_folder(dir: &Path, _meta: &std::fs::Metadata) -> Check {
    Check::pass("socket folder", format!("{}", dir.display()))
}

/// Which copy of Tandem serves the hub, if any.
async fn hub(location: &Location) -> Check {
    let Ok(endpoint) = Endpoint::for_location(location) else {
        return Check::pass("hub", "none: no copy of Tandem runs on this database");
    };
    let instance = format!("doctor-{}", uuid::Uuid::now_v7());
    match bridge::ask_hub(&endpoint, &instance).await {
        Ok(None) => Check::pass("hub", "none: no copy of Tandem runs on this database"),
        Ok(Some(welcome)) => {
            let others = welcome
                .peers
                .iter()
                .filter(|p| p.instance != instance)
                .count();
            Check::pass(
                "hub",
                format!(
                    "served by {} at {}, {others} cop{} of Tandem linked",
                    welcome.hub,
                    endpoint.socket().display(),
                    if others == 1 { "y" } else { "ies" }
                ),
            )
        }
        Err(e) => Check::fail(
            "hub",
            format!("{} answers wrongly ({e})", endpoint.socket().display()),
            "quit every copy of Tandem and start it again",
        ),
    }
}

/// The settings file reads (or there is none yet).
fn settings_file() -> Check {
    let Some(file) = SettingsFile::in_config_dir() else {
        return Check::fail(
            "settings",
            "there is no config folder",
            "set HOME or XDG_CONFIG_HOME",
        );
    };
    let path = file.path().display().to_string();
    if !file.path().exists() {
        return Check::pass(
            "settings",
            format!("{path} not saved yet: the defaults apply"),
        );
    }
    match file.load() {
        Ok(_) => Check::pass("settings", format!("{path} reads")),
        Err(e) => Check::fail(
            "settings",
            reason(&e),
            format!("fix it in Settings, or delete {path} to start from the defaults"),
        ),
    }
}

/// Why this does not run in a desktop session (a display, and a session bus to ask), if it
/// does not: then (an SSH session, a server) what only a desktop has is not checked.
fn no_desktop_session() -> Option<&'static str> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Some("no desktop session (no display)");
    }
    let runtime_bus =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("bus").exists());
    if !set("DBUS_SESSION_BUS_ADDRESS") && !runtime_bus {
        return Some("no desktop session (no session bus)");
    }
    None
}

/// A service of the desktop Tandem does without: a name on the session bus.
struct Optional {
    check: &'static str,
    name: &'static str,
    /// What it does for Tandem, when it is there.
    good: &'static str,
    /// What going without it costs, and how to have it.
    cost: &'static str,
}

impl Optional {
    /// Whether a service owns (or can be started for) the name on the session bus: passed, or
    /// a warning saying what its absence costs.
    async fn ask(&self) -> Check {
        let asked = async {
            let bus = zbus::Connection::session().await?;
            let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
            let bus_name = zbus::names::BusName::try_from(self.name)?;
            if dbus.name_has_owner(bus_name).await? {
                return Ok::<bool, zbus::Error>(true);
            }
            let activatable = dbus.list_activatable_names().await?;
            Ok(activatable.iter().any(|n| n.as_str() == self.name))
        };
        match asked.await {
            Ok(true) => Check::pass(self.check, self.good),
            Ok(false) => Check::warn(
                self.check,
                format!("nothing serves {} on the session bus", self.name),
                self.cost,
            ),
            Err(e) => Check::warn(
                self.check,
                format!("the session bus cannot be reached ({e})"),
                self.cost,
            ),
        }
    }
}

/// The log folder exists and takes files, or can be made.
fn log_folder() -> Check {
    let Some(dir) = crate::logs::dir() else {
        return Check::fail("log folder", "there is none", "set HOME or XDG_STATE_HOME");
    };
    let shown = dir.display();
    let nearest: Option<PathBuf> = dir.ancestors().find(|d| d.exists()).map(Path::to_owned);
    match nearest {
        Some(found) if found == dir => {
            let files = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            if writable(&dir) {
                Check::pass(
                    "log folder",
                    format!("{shown} ({files} file{})", plural(files as i64)),
                )
            } else {
                Check::fail(
                    "log folder",
                    format!("{shown} cannot be written"),
                    format!("check who owns it: ls -ld {shown}"),
                )
            }
        }
        Some(parent) if parent.is_dir() && writable(&parent) => Check::pass(
            "log folder",
            format!("{shown} is made when Tandem first starts"),
        ),
        _ => Check::fail(
            "log folder",
            format!("{shown} cannot be made"),
            "check who owns the folders above it",
        ),
    }
}

/// Whether the user may make files in `dir`.
fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.is_dir() && !m.permissions().readonly()) && {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            std::ffi::CString::new(dir.as_os_str().as_bytes())
                // SAFETY: the path is a valid C string for the duration of the call.
                .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
        }
        #[cfg(not(unix))]
        {
            true
        }
    }
}

/// An error's reason, without the field name an `Invalid` carries.
fn reason(error: &Error) -> String {
    match error {
        Error::Invalid { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
