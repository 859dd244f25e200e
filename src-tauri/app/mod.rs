//! The desktop app: the Tauri commands and the board windows.
//!
//! A thin adapter over the core. It turns IPC calls into store calls and their results into IPC
//! replies, names the window each change came from, and holds no rules of its own: every rule
//! lives in the store, where the CLI meets it too.

mod commands;

use std::sync::atomic::{AtomicU32, Ordering};

use tauri::{AppHandle, Builder, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::model::{Actor, Origin};
use crate::store::Store;

/// What every command can reach.
pub struct AppState {
    pub store: Store,
    /// This process's id in change origins.
    pub instance: String,
    /// The number of the last board window opened, for the next label (`board-<n>`).
    windows: AtomicU32,
}

impl AppState {
    pub fn new(store: Store, instance: String) -> Self {
        Self {
            store,
            instance,
            windows: AtomicU32::new(0),
        }
    }

    /// The origin of a change made in `window`.
    fn origin(&self, window: &str, mutation_id: Option<String>) -> Origin {
        Origin {
            window: Some(window.to_owned()),
            mutation_id,
            ..Origin::new(&self.instance, Actor::Gui)
        }
    }
}

/// Runs the desktop app until its last window closes.
pub fn run(state: AppState) -> tauri::Result<()> {
    let builder = Builder::default().plugin(tauri_plugin_window_state::Builder::default().build());
    setup(builder, state).run(tauri::generate_context!())
}

/// Everything but the runtime, so tests can mount the same app on a mock runtime.
pub fn setup<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::projects,
            commands::board,
            commands::task_create,
            commands::task_rename,
            commands::task_move,
            commands::task_delete,
        ])
        .setup(|app| {
            open_board_window(app.handle())?;
            Ok(())
        })
}

/// Opens a new board window, labelled `board-<n>`.
pub fn open_board_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let state = app.state::<AppState>();
    let n = state.windows.fetch_add(1, Ordering::Relaxed) + 1;
    WebviewWindowBuilder::new(
        app,
        format!("board-{n}"),
        WebviewUrl::App("index.html".into()),
    )
    .title("Tandem")
    .inner_size(1180.0, 760.0)
    .min_inner_size(560.0, 400.0)
    // Tauri's own file-drop handling would swallow the board's HTML drag and drop.
    .disable_drag_drop_handler()
    .build()?;
    Ok(())
}
