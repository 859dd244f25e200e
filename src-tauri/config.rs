//! Where things live: the database (a file, or a PostgreSQL server's URL), resolved the same way
//! by the GUI and the CLI.
//!
//! A server URL's password never leaves [`ServerUrl`] except into the connection: everything
//! that prints, logs or shows a URL uses [`ServerUrl::redacted`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use ts_rs::TS;

use crate::error::{Error, Result};

/// The app's identifier; must equal `identifier` in tauri.conf.json, since the data folder is
/// named after it.
pub const APP_ID: &str = "dev.tandem.board";

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "tandem.db";

/// Where a board's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file on this machine.
    File(PathBuf),
    /// A PostgreSQL database, shared by every machine that reaches the server.
    Server(ServerUrl),
}

impl Location {
    /// Reads what a user gave as `--db`, `TANDEM_DB` or in the settings: a `postgres://` or
    /// `postgresql://` URL, or else a file path. Anything else that looks like a URL (a
    /// mistyped scheme) is refused rather than taken for a folder name.
    pub fn parse(text: &str) -> Result<Location> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Config {
                name: "TANDEM_DB",
                reason: "the database path is empty".into(),
            });
        }
        match url_scheme(text) {
            Some(scheme)
                if matches!(
                    scheme.to_ascii_lowercase().as_str(),
                    "postgres" | "postgresql"
                ) =>
            {
                ServerUrl::parse(text).map(Location::Server)
            }
            Some(scheme) => Err(Error::Config {
                name: "TANDEM_DB",
                reason: format!(
                    "{scheme}:// is not a database Tandem knows; give a file path or a \
                     postgres://user@host/database URL"
                ),
            }),
            None => Ok(Location::File(PathBuf::from(text))),
        }
    }

    /// The database file, for a file.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }
}

/// `scheme` when `text` starts like a URL (`scheme://`).
fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// Shows a file as its path and a server as its URL without the password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Server(url) => f.write_str(&url.redacted()),
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::File(path.to_owned())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Self {
        Location::File(path.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::File(path)
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Self {
        location.clone()
    }
}

/// A PostgreSQL URL, checked. Its password (when the URL has one) is kept for connecting and
/// never shown: [`fmt::Debug`] and [`fmt::Display`] print the URL without it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    url: url::Url,
}

impl ServerUrl {
    pub fn parse(text: &str) -> Result<ServerUrl> {
        let invalid = |reason: String| Error::Config {
            name: "TANDEM_DB",
            reason,
        };
        let url = url::Url::parse(text).map_err(|e| invalid(format!("not a valid URL: {e}")))?;
        let url = ServerUrl { url };
        // Everything else (sslmode's values, ports, options) is checked the way the driver reads
        // it; its message names the part, never the password.
        PgConnectOptions::from_str(url.url.as_str()).map_err(|e| {
            invalid(format!(
                "{} is not a usable server URL: {}",
                url.redacted(),
                config_reason(&e)
            ))
        })?;
        Ok(url)
    }

    /// Whether the URL carries a password (in its user part or as a `password` parameter).
    pub fn has_password(&self) -> bool {
        self.url.password().is_some() || self.url.query_pairs().any(|(key, _)| key == "password")
    }

    /// The URL without its password: what status lines, errors, logs and the UI show.
    pub fn redacted(&self) -> String {
        let mut url = self.url.clone();
        // Fails only for a URL without a host, which has no password to hide either.
        let _ = url.set_password(None);
        if url.query_pairs().any(|(key, _)| key == "password") {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(key, _)| key != "password")
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect();
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        url.to_string()
    }

    /// The server's host as a user knows it (`localhost` for a Unix socket), for `Offline · host`.
    pub fn host(&self) -> String {
        let from_query = self
            .url
            .query_pairs()
            .find(|(k, _)| k == "host")
            .map(|(_, v)| v.into_owned());
        match (self.url.host_str().filter(|h| !h.is_empty()), from_query) {
            (Some(host), _) => host.to_owned(),
            (None, Some(socket)) if socket.starts_with('/') => "localhost".to_owned(),
            (None, Some(host)) => host,
            (None, None) => "localhost".to_owned(),
        }
    }

    /// How the driver connects: the URL, then `PGPASSWORD` or `~/.pgpass` for a password the URL
    /// does not give, as libpq does.
    pub fn connect_options(&self) -> Result<PgConnectOptions> {
        PgConnectOptions::from_str(self.url.as_str()).map_err(|e| Error::Config {
            name: "TANDEM_DB",
            reason: config_reason(&e),
        })
    }
}

/// A driver's configuration error in words that carry no URL.
fn config_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(e) => e.to_string(),
        other => other.to_string(),
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Who chose the database an instance opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseSource {
    /// `--db` or `TANDEM_DB`, for this run.
    Explicit,
    /// Settings ▸ Database.
    Settings,
    /// `tandem.db` in the user's data folder.
    Default,
}

/// The database to open: `explicit` (from `--db` or `TANDEM_DB`) when given, else `chosen` (in
/// the settings), else `tandem.db` in the user's data folder (`$XDG_DATA_HOME/dev.tandem.board`
/// on Linux).
pub fn location(
    explicit: Option<&str>,
    chosen: Option<&str>,
) -> Result<(Location, DatabaseSource)> {
    if let Some(text) = explicit {
        return Ok((Location::parse(text)?, DatabaseSource::Explicit));
    }
    if let Some(text) = chosen {
        return Ok((Location::parse(text)?, DatabaseSource::Settings));
    }
    dirs::data_dir()
        .map(|dir| {
            (
                Location::File(dir.join(APP_ID).join(DB_FILE)),
                DatabaseSource::Default,
            )
        })
        .ok_or(Error::Config {
            name: "HOME",
            reason: "there is no data folder; set HOME or XDG_DATA_HOME, or pass --db".into(),
        })
}

/// Where this machine keeps its copies of server boards: `servers` in the user's cache folder
/// (`$XDG_CACHE_HOME/dev.tandem.board/servers` on Linux); `None` without a cache folder.
pub fn copy_of(url: &ServerUrl) -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| crate::store::copy_path(&dir.join(APP_ID), url))
}

/// Where backups go unless told otherwise: `backups` in the user's data folder
/// (`$XDG_DATA_HOME/dev.tandem.board/backups` on Linux).
pub fn backup_dir() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|dir| dir.join(APP_ID).join("backups"))
        .ok_or(Error::Config {
            name: "HOME",
            reason: "there is no data folder; set HOME or XDG_DATA_HOME, or name the backup file"
                .into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_id_is_the_one_tauri_uses() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], APP_ID);
    }

    #[test]
    fn an_explicit_path_wins_over_the_settings_which_win_over_the_default() {
        let file = |path: &str| Location::File(PathBuf::from(path));
        assert_eq!(
            location(Some("/tmp/elsewhere.db"), Some("/tmp/chosen.db")).unwrap(),
            (file("/tmp/elsewhere.db"), DatabaseSource::Explicit)
        );
        assert_eq!(
            location(None, Some("/tmp/chosen.db")).unwrap(),
            (file("/tmp/chosen.db"), DatabaseSource::Settings)
        );
        assert_eq!(location(None, None).unwrap().1, DatabaseSource::Default);
    }

    #[test]
    fn an_empty_path_is_a_config_error() {
        assert!(matches!(
            location(Some("  "), None),
            Err(Error::Config {
                name: "TANDEM_DB",
                ..
            })
        ));
    }

    #[test]
    fn the_default_is_in_the_data_folder() {
        let (location, _) = location(None, None).expect("tests run with a HOME");
        let path = location.file().expect("a file");
        assert!(path.ends_with("dev.tandem.board/tandem.db"), "{path:?}");
    }

    #[test]
    fn a_postgres_url_is_a_server_in_either_spelling() {
        for text in [
            "postgres://ann@db.example/boards",
            "postgresql://ann@db.example:5433/boards?sslmode=require",
            "POSTGRES://ann@db.example/boards",
        ] {
            assert!(
                matches!(Location::parse(text).unwrap(), Location::Server(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_password_is_never_shown() {
        let text = "postgresql://ann:s3cret%21@db.example/boards?sslmode=require";
        let location = Location::parse(text).unwrap();
        for shown in [
            location.to_string(),
            format!("{location:?}"),
            match &location {
                Location::Server(url) => url.redacted(),
                Location::File(_) => unreachable!(),
            },
        ] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("ann@db.example/boards"), "{shown}");
        }
        let in_query =
            Location::parse("postgres://db.example/boards?password=s3cret&sslmode=disable")
                .unwrap()
                .to_string();
        assert!(!in_query.contains("s3cret"), "{in_query}");
        assert!(in_query.contains("sslmode=disable"), "{in_query}");
    }

    #[test]
    fn a_mistyped_scheme_or_a_bad_url_is_refused_and_names_no_password() {
        for text in [
            "postgress://ann:s3cret@db/boards",
            "mysql://ann:s3cret@db/boards",
            "postgres://ann:s3cret@db:notaport/boards",
            "postgres://ann:s3cret@db/boards?sslmode=sometimes",
        ] {
            let err = Location::parse(text).expect_err(text);
            assert!(matches!(err, Error::Config { .. }), "{text}: {err}");
            assert!(!err.to_string().contains("s3cret"), "{text}: {err}");
        }
    }

    #[test]
    fn a_server_has_a_host_to_name_when_offline() {
        let host = |text: &str| match Location::parse(text).unwrap() {
            Location::Server(url) => url.host(),
            Location::File(_) => unreachable!(),
        };
        assert_eq!(host("postgres://ann@db.example/boards"), "db.example");
        assert_eq!(host("postgres:///boards?host=/run/postgresql"), "localhost");
    }
}
