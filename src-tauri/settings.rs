//! The user's settings: a small JSON file in the config folder
//! (`$XDG_CONFIG_HOME/dev.tandem.board/settings.json` on Linux), read at start and saved whole,
//! atomically, on every change.
//!
//! A file that cannot be read or holds nonsense never stops the app: it runs on the defaults,
//! says why, and leaves the file alone until the user saves new settings over it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{DatabaseSource, Location, APP_ID};
use crate::debounce::{DEFAULT_WINDOW, MAX_WINDOW_MS};
use crate::error::{Error, Result};

/// The settings file's name inside the config folder.
pub const SETTINGS_FILE: &str = "settings.json";

/// The smallest and largest zoom, in percent.
pub const MIN_ZOOM: u16 = 50;
pub const MAX_ZOOM: u16 = 200;

/// What the user chose. A field left out means the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// The debounce window of every window's stream, in ms (0 to 1000; 0: no batching).
    pub debounce_ms: Option<u64>,
    /// Whether to show desktop notifications: of changes made elsewhere on a file, of one's
    /// news on a team's server.
    pub notifications: bool,
    /// Which kinds of news notify on a team's server (all are in the inbox anyway).
    pub news: Vec<crate::model::NewsKind>,
    /// Whether the app backs the database up once a day into the data folder's `backups`,
    /// keeping the last seven.
    pub backups: bool,
    pub theme: Theme,
    /// How large the board is drawn, in percent of its normal size (50 to 200; Ctrl+= and
    /// Ctrl+- step it, Ctrl+0 resets it).
    pub zoom: u16,
    /// The database to open when neither `--db` nor `TANDEM_DB` names one: a file's whole
    /// path, or a server's URL without a password. `None`: the default file.
    pub database: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            debounce_ms: None,
            notifications: true,
            news: crate::inbox::KINDS.to_vec(),
            backups: true,
            theme: Theme::System,
            zoom: 100,
            database: None,
        }
    }
}

/// The windows' colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// As the desktop prefers.
    #[default]
    System,
    Light,
    Dark,
}

impl Settings {
    /// Checks every field, naming the first that is out of range.
    pub fn validate(&self) -> Result<()> {
        if let Some(ms) = self.debounce_ms.filter(|ms| *ms > MAX_WINDOW_MS) {
            return Err(Error::invalid(
                "debounce_ms",
                format!("{ms} ms is more than the most, {MAX_WINDOW_MS} ms"),
            ));
        }
        if !(MIN_ZOOM..=MAX_ZOOM).contains(&self.zoom) {
            return Err(Error::invalid(
                "zoom",
                format!("{} % is outside {MIN_ZOOM} to {MAX_ZOOM} %", self.zoom),
            ));
        }
        if let Some(database) = &self.database {
            database_choice(database)?;
        }
        Ok(())
    }
}

/// Checks a database as the settings may keep it: a file's whole path, or a server's URL
/// without a password (the settings file is plain text; passwords belong in `~/.pgpass` or
/// `PGPASSWORD`). A leading `~/` stands for the home folder.
pub fn database_choice(text: &str) -> Result<Location> {
    let text = text.trim();
    let invalid = |reason: String| Error::invalid("database", reason);
    let expanded = match text.strip_prefix("~/") {
        Some(rest) => match dirs::home_dir() {
            Some(home) => home.join(rest).display().to_string(),
            None => return Err(invalid("there is no home folder for ~ to stand for".into())),
        },
        None => text.to_owned(),
    };
    let location = Location::parse(&expanded).map_err(|e| match e {
        Error::Config { reason, .. } => invalid(reason),
        other => other,
    })?;
    match &location {
        Location::File(path) if !path.is_absolute() => Err(invalid(format!(
            "{} is not a whole path: start it at / (or ~/)",
            path.display()
        ))),
        Location::Server(url) if url.has_password() => Err(invalid(format!(
            "settings keep no passwords: give {url} without it, and put the password in \
             ~/.pgpass or PGPASSWORD"
        ))),
        _ => Ok(location),
    }
}

/// Where the debounce window in force comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WindowSource {
    /// `TANDEM_DEBOUNCE_MS`, set for this run: it wins over the settings until the app restarts.
    Environment,
    Settings,
    Default,
}

/// The debounce window in force: the environment's for this run, else the settings', else the
/// default.
pub fn debounce_window(env: Option<Duration>, settings: &Settings) -> (Duration, WindowSource) {
    match (env, settings.debounce_ms) {
        (Some(window), _) => (window, WindowSource::Environment),
        (None, Some(ms)) => (Duration::from_millis(ms), WindowSource::Settings),
        (None, None) => (DEFAULT_WINDOW, WindowSource::Default),
    }
}

/// The settings as the settings panel shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsView {
    pub settings: Settings,
    /// The debounce window in force, in ms.
    pub debounce_ms: u64,
    pub debounce_source: WindowSource,
    /// The database this instance works on: a file's path, or a server's URL without its
    /// password.
    pub database: String,
    /// Who chose it: when `--db` or `TANDEM_DB` did, the settings' choice waits.
    pub database_source: DatabaseSource,
    /// Where the settings are saved; `None` when there is no config folder.
    pub file: Option<String>,
    /// Where the daily backups go; `None` when there is no data folder.
    pub backup_folder: Option<String>,
    /// Where the app writes its log; `None` when there is no folder for it.
    pub log_folder: Option<String>,
    /// Why the saved settings could not be used, when they could not.
    pub problem: Option<String>,
}

/// The database the user chose in the settings, if any. Settings that cannot be read choose
/// nothing: the app says why in its settings panel.
pub fn chosen_database() -> Option<String> {
    SettingsFile::in_config_dir()?.load().ok()?.database
}

/// The settings file.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

/// Settings as a settings file holds them, checked.
pub fn parse(text: &str) -> Result<Settings> {
    let settings: Settings = serde_json::from_str(text)
        .map_err(|e| Error::invalid("settings", format!("is not valid settings: {e}")))?;
    settings
        .validate()
        .map_err(|e| Error::invalid("settings", format!("holds a bad value: {e}")))?;
    Ok(settings)
}

impl SettingsFile {
    /// The settings file in the user's config folder; `None` when there is no config folder.
    pub fn in_config_dir() -> Option<Self> {
        dirs::config_dir().map(|dir| Self::at(dir.join(APP_ID).join(SETTINGS_FILE)))
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings; the defaults when nothing was saved yet.
    pub fn load(&self) -> Result<Settings> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(self.error(format!("cannot be read: {}", e.kind()))),
        };
        parse(&text).map_err(|e| match e {
            Error::Invalid { reason, .. } => self.error(reason),
            other => other,
        })
    }

    /// Saves `settings` whole: written beside the file, then renamed over it, so a crash
    /// leaves the old settings or the new, never half of either.
    pub fn save(&self, settings: &Settings) -> Result<()> {
        settings.validate()?;
        let io = |e: std::io::Error| self.error(format!("cannot be saved: {}", e.kind()));
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(settings)
            .map_err(|e| self.error(format!("cannot be written: {e}")))?;
        let partial = self.path.with_extension("json.partial");
        std::fs::write(&partial, text + "\n").map_err(io)?;
        std::fs::rename(&partial, &self.path).map_err(io)
    }

    fn error(&self, reason: String) -> Error {
        Error::Config {
            name: SETTINGS_FILE,
            reason: format!("{} {reason}", self.path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> (tempfile::TempDir, SettingsFile) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = SettingsFile::at(dir.path().join("config").join(SETTINGS_FILE));
        (dir, file)
    }

    #[test]
    fn nothing_saved_means_the_defaults() {
        let (_dir, file) = file();
        assert_eq!(file.load().unwrap(), Settings::default());
        assert!(
            Settings::default().notifications,
            "notifications are on at first"
        );
        std::fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        std::fs::write(file.path(), r#"{"debounce_ms": 20}"#).unwrap();
        let older = file.load().unwrap();
        assert_eq!(
            (older.notifications, older.theme),
            (true, Theme::System),
            "a file from before a setting existed gets its default"
        );
    }

    #[test]
    fn saved_settings_are_loaded_back() {
        let (_dir, file) = file();
        let settings = Settings {
            debounce_ms: Some(250),
            notifications: false,
            news: vec![crate::model::NewsKind::Mentioned],
            backups: false,
            theme: Theme::Dark,
            zoom: 130,
            database: Some("postgres://ann@db.example/boards".into()),
        };
        file.save(&settings).unwrap();
        assert_eq!(file.load().unwrap(), settings);
        assert!(
            !file.path().with_extension("json.partial").exists(),
            "no partial file is left behind"
        );
    }

    #[test]
    fn a_bad_value_is_refused_by_name_and_nothing_is_saved() {
        let (_dir, file) = file();
        let error = file
            .save(&Settings {
                debounce_ms: Some(MAX_WINDOW_MS + 1),
                ..Settings::default()
            })
            .unwrap_err();
        assert!(matches!(
            error,
            Error::Invalid {
                field: "debounce_ms",
                ..
            }
        ));
        assert!(!file.path().exists());
        for zoom in [MIN_ZOOM - 1, MAX_ZOOM + 1] {
            let error = file
                .save(&Settings {
                    zoom,
                    ..Settings::default()
                })
                .unwrap_err();
            assert!(matches!(error, Error::Invalid { field: "zoom", .. }));
        }
        assert!(!file.path().exists());
    }

    #[test]
    fn a_database_is_a_whole_path_or_a_url_without_a_password() {
        let refused = |text: &str| match database_choice(text) {
            Err(Error::Invalid {
                field: "database",
                reason,
            }) => reason,
            other => panic!("{text} is refused, not {other:?}"),
        };
        assert!(refused("boards/tandem.db").contains("not a whole path"));
        for url in [
            "postgres://ann:s3cret@db.example/boards",
            "postgresql://ann@db.example/boards?password=s3cret",
        ] {
            let reason = refused(url);
            assert!(reason.contains("~/.pgpass"), "{reason}");
            assert!(!reason.contains("s3cret"), "{reason}");
        }
        assert!(refused("mysql://db.example/boards").contains("mysql://"));
        assert!(refused("   ").contains("empty"));

        let home = dirs::home_dir().expect("tests run with a HOME");
        assert_eq!(
            database_choice("~/boards/tandem.db").unwrap(),
            Location::File(home.join("boards/tandem.db"))
        );
        assert!(matches!(
            database_choice(" postgres://ann@db.example/boards ").unwrap(),
            Location::Server(_)
        ));
        let (_dir, file) = file();
        let with_password = Settings {
            database: Some("postgres://ann:s3cret@db.example/boards".into()),
            ..Settings::default()
        };
        assert!(file.save(&with_password).is_err());
        assert!(!file.path().exists(), "nothing saved");
    }

    #[test]
    fn a_damaged_file_is_a_config_error_naming_it_and_is_left_alone() {
        for text in [
            "{not json",
            r#"{"debounce_ms": "fast"}"#,
            r#"{"debounce_ms": 5000}"#,
            r#"{"theme": "purple"}"#,
        ] {
            let (_dir, file) = file();
            std::fs::create_dir_all(file.path().parent().unwrap()).unwrap();
            std::fs::write(file.path(), text).unwrap();
            let error = file.load().unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::Config {
                        name: SETTINGS_FILE,
                        ..
                    }
                ),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("settings.json"), "{error}");
            assert_eq!(std::fs::read_to_string(file.path()).unwrap(), text);
        }
    }

    #[test]
    fn the_environment_wins_over_the_settings_which_win_over_the_default() {
        let chosen = Settings {
            debounce_ms: Some(40),
            ..Settings::default()
        };
        let env = Some(Duration::from_millis(7));
        assert_eq!(
            debounce_window(env, &chosen),
            (Duration::from_millis(7), WindowSource::Environment)
        );
        assert_eq!(
            debounce_window(None, &chosen),
            (Duration::from_millis(40), WindowSource::Settings)
        );
        assert_eq!(
            debounce_window(None, &Settings::default()),
            (DEFAULT_WINDOW, WindowSource::Default)
        );
    }
}
