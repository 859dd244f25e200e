//! Where things live: the database file's path, resolved the same way by the GUI and the CLI.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The app's identifier; must equal `identifier` in tauri.conf.json, since the data folder is
/// named after it.
pub const APP_ID: &str = "dev.tandem.board";

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "tandem.db";

/// The database to open: `explicit` (from `--db` or `TANDEM_DB`) when given, else `tandem.db`
/// in the user's data folder (`$XDG_DATA_HOME/dev.tandem.board` on Linux).
pub fn db_path(explicit: Option<PathBuf>) -> Result<PathBuf> {
    match explicit {
        Some(path) if path.as_os_str().is_empty() => Err(Error::Config {
            name: "TANDEM_DB",
            reason: "the database path is empty".into(),
        }),
        Some(path) => Ok(path),
        None => dirs::data_dir()
            .map(|dir| dir.join(APP_ID).join(DB_FILE))
            .ok_or(Error::Config {
                name: "HOME",
                reason: "there is no data folder; set HOME or XDG_DATA_HOME, or pass --db".into(),
            }),
    }
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
    fn an_explicit_path_wins() {
        let path = PathBuf::from("/tmp/elsewhere.db");
        assert_eq!(db_path(Some(path.clone())).unwrap(), path);
    }

    #[test]
    fn an_empty_path_is_a_config_error() {
        assert!(matches!(
            db_path(Some(PathBuf::new())),
            Err(Error::Config {
                name: "TANDEM_DB",
                ..
            })
        ));
    }

    #[test]
    fn the_default_is_in_the_data_folder() {
        let path = db_path(None).expect("tests run with a HOME");
        assert!(path.ends_with("dev.tandem.board/tandem.db"), "{path:?}");
    }
}
