//! When the board cannot be opened at start: a window that says why, instead of a line on
//! standard error that nobody sees who started Tandem from the desktop. What passes by itself
//! (the team's server is full, or away with no copy of its board on this machine) is tried
//! again every few seconds; anything else at the user's word, once they have put it right; a
//! board chosen in the settings can be left for the default one. Once the board opens, Tandem
//! starts anew on it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Builder, Emitter, Manager, Runtime, State, WebviewUrl};
use tokio::sync::Notify;
use ts_rs::TS;

use crate::config::{DatabaseSource, Location};
use crate::error::{Error, ErrorCode, Result};
use crate::model::{Actor, Origin};
use crate::settings::{Settings, SettingsFile};
use crate::store::Store;
use crate::sync::lock;

/// How often the server is tried again.
const TRY_EVERY: Duration = Duration::from_secs(3);

/// The event that tells the window how the last try went.
const CANNOT_OPEN_EVENT: &str = "cannot-open";

/// Why the board is not open, for its window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CannotOpen {
    /// The database, a server's URL without its password.
    pub database: String,
    /// What kind of problem: `server_full` or `offline`.
    pub code: ErrorCode,
    /// The problem in words, with what can be done about it.
    pub message: String,
    /// How many times the board was tried, the first at start included.
    pub tries: u32,
    /// Whether it is tried again every few seconds: the problem passes by itself.
    pub retrying: bool,
    /// Whether the board was chosen in the settings, and the default one can be used instead.
    pub chosen_in_settings: bool,
}

/// Whether `error`, met opening the board at start, passes by itself: worth a window that
/// waits for it rather than an exit.
pub fn passes(error: &Error) -> bool {
    matches!(error, Error::ServerFull { .. } | Error::Offline { .. })
}

/// Why the board could not be opened, said for a window that has not shown it yet: a command's
/// error says what its failure changed, and here nothing was under way.
fn why(error: &Error) -> String {
    match error {
        Error::ServerFull { host } => format!(
            "Every connection the database server{} allows (its max_connections setting) is in \
             use by others. Its administrator can raise max_connections (see the README).",
            host.as_deref().map(|h| format!(" {h}")).unwrap_or_default()
        ),
        Error::Offline { host } => format!(
            "The database server {host} does not answer, and this computer has no copy of the \
             board yet: Tandem keeps one once it has opened the board here."
        ),
        other => other.to_string(),
    }
}

/// The board being waited for, and what its window was last told.
struct Waiting {
    location: Location,
    said: Mutex<CannotOpen>,
    /// Rung by "Try again".
    try_now: Notify,
}

/// Runs the app as one window saying why the board at `location` (chosen by `source`) could not
/// be opened (`error`), until it can: then Tandem starts anew on it.
pub fn run(location: Location, source: DatabaseSource, error: &Error) -> tauri::Result<()> {
    let said = CannotOpen {
        database: location.to_string(),
        code: error.code(),
        message: why(error),
        tries: 1,
        retrying: passes(error),
        chosen_in_settings: source == DatabaseSource::Settings,
    };
    let waiting = Arc::new(Waiting {
        location,
        said: Mutex::new(said),
        try_now: Notify::new(),
    });
    Builder::default()
        .manage(waiting)
        .invoke_handler(tauri::generate_handler![
            cannot_open,
            cannot_open_retry,
            cannot_open_use_default,
            cannot_open_quit
        ])
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(
                app,
                "cannot-open",
                WebviewUrl::App("index.html?cannot-open".into()),
            )
            .title("Tandem")
            .inner_size(560.0, 340.0)
            .min_inner_size(420.0, 280.0)
            .center()
            .build()?;
            keep_trying(app.handle());
            Ok(())
        })
        .run(super::context())
}

/// Tries the board every [`TRY_EVERY`], or at once when asked, telling the window each time;
/// once it opens, starts Tandem anew on it.
fn keep_trying<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let waiting = app.state::<Arc<Waiting>>().inner().clone();
    let origin = Origin::new(&uuid::Uuid::now_v7().to_string(), Actor::Gui);
    tauri::async_runtime::spawn(async move {
        loop {
            let retrying = lock(&waiting.said).retrying;
            let every = async {
                if retrying {
                    tokio::time::sleep(TRY_EVERY).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = every => {}
                () = waiting.try_now.notified() => {}
            }
            let (location, origin) = (waiting.location.clone(), origin.clone());
            let runtime = tokio::runtime::Handle::current();
            // Opening a SQLite file (a copy) holds its connection across awaits: a thread of
            // its own, as the app's other opens.
            let tried = tokio::task::spawn_blocking(move || {
                runtime.block_on(async {
                    let store = Store::open(&location, &origin).await?;
                    store.close().await;
                    Ok::<_, Error>(())
                })
            })
            .await;
            let e = match tried {
                Ok(Ok(())) => {
                    tracing::info!(db = %waiting.location, "the board opens now: starting anew");
                    app.restart();
                }
                Ok(Err(e)) => e,
                Err(e) => {
                    tracing::warn!(error = %e, "trying the board failed");
                    continue;
                }
            };
            let said = {
                let mut said = lock(&waiting.said);
                said.code = e.code();
                said.message = why(&e);
                said.tries += 1;
                said.retrying = passes(&e);
                said.clone()
            };
            tracing::info!(error = %e, tries = said.tries, "the board still cannot be opened");
            if let Err(e) = app.emit(CANNOT_OPEN_EVENT, said) {
                tracing::warn!(error = %e, "cannot tell the window");
            }
        }
    });
}

/// Why the board is not open, as last tried.
#[tauri::command]
fn cannot_open(waiting: State<'_, Arc<Waiting>>) -> CannotOpen {
    lock(&waiting.said).clone()
}

/// Tries the board again now; the answer comes as the event, or as Tandem starting anew.
#[tauri::command]
fn cannot_open_retry(waiting: State<'_, Arc<Waiting>>) {
    waiting.try_now.notify_one();
}

/// Forgets the board chosen in the settings, and starts Tandem anew on the default one. The
/// board left is not touched.
#[tauri::command]
fn cannot_open_use_default<R: Runtime>(app: AppHandle<R>) -> Result<()> {
    let Some(file) = SettingsFile::in_config_dir() else {
        return Err(Error::Config {
            name: "settings",
            reason: "there is no config folder to keep settings in".to_owned(),
        });
    };
    let settings = Settings {
        database: None,
        ..file.load()?
    };
    file.save(&settings)?;
    tracing::info!("the board chosen in the settings forgotten: starting on the default one");
    app.restart();
}

/// Gives up waiting: Tandem ends.
#[tauri::command]
fn cannot_open_quit<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_or_silent_server_is_waited_for_and_said_as_at_start() {
        let full = Error::ServerFull {
            host: Some("db.example.com".into()),
        };
        let away = Error::Offline {
            host: "db.example.com".into(),
        };
        assert!(passes(&full) && passes(&away));
        assert!(!passes(&Error::invalid(
            "database",
            "not a Tandem database"
        )));
        assert_eq!(
            why(&full),
            "Every connection the database server db.example.com allows (its max_connections \
             setting) is in use by others. Its administrator can raise max_connections (see the \
             README)."
        );
        let said = why(&away);
        assert!(said.starts_with("The database server db.example.com does not answer"));
        // Nothing was under way, so nothing "was changed".
        assert!(!said.contains("changed") && !why(&full).contains("changed"));
    }
}
