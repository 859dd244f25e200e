//! `tandem-desktop`: the desktop app. `tandem` (the command users type) becomes this program
//! when it is given no subcommand; given one, this runs it too, but `tandem` does it without
//! loading the desktop's libraries.

use std::process::ExitCode;

use clap::Parser;
use tandem::app::{self, AppState, Startup};
use tandem::bridge::Endpoint;
use tandem::cli::{self, Cli};
use tandem::model::{Actor, Origin};
use tandem::settings::{self, SettingsFile};
use tandem::{config, debounce, store::Store};

/// WebKitGTK's DMA-BUF renderer costs each window's web process about 80 MB more (measured
/// with `/proc/PID/smaps_rollup`: one window 310 → 226 MB in all, two 413 → 268 MB) and draws a
/// board no better. Set the variable to 0 to keep it.
const LIGHTER_RENDERER: (&str, &str) = ("WEBKIT_DISABLE_DMABUF_RENDERER", "1");

fn main() -> ExitCode {
    // Before any thread starts, so the web processes WebKit starts inherit it.
    if cfg!(target_os = "linux") && std::env::var_os(LIGHTER_RENDERER.0).is_none() {
        std::env::set_var(LIGHTER_RENDERER.0, LIGHTER_RENDERER.1);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::parse_error(e),
    };
    if let Some(command) = cli.command {
        return cli::main(cli.db, cli.json, command);
    }
    tandem::logs::init(tandem::logs::Logger::App);
    let env_window = match debounce::window_from_env() {
        Ok(window) => window,
        Err(e) => {
            eprintln!("tandem: {e}");
            return ExitCode::from(cli::EXIT_USAGE);
        }
    };
    match gui(cli.db, env_window) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            ExitCode::from(cli::EXIT_FAILURE)
        }
    }
}

fn gui(db: Option<String>, env_window: Option<std::time::Duration>) -> anyhow::Result<()> {
    if cfg!(target_os = "linux") && ["DISPLAY", "WAYLAND_DISPLAY"].iter().all(|v| is_unset(v)) {
        anyhow::bail!(
            "there is no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); \
             the command line works without one: tandem --help"
        );
    }
    let (location, source) =
        config::location(db.as_deref(), settings::chosen_database().as_deref())?;
    let instance = uuid::Uuid::now_v7().to_string();
    let origin = Origin::new(&instance, Actor::Gui);
    // A server board whose server is away opens from this machine's copy; once it is back,
    // what was queued on the copy meanwhile goes first, in order, each change once.
    let opened = match tauri::async_runtime::block_on(Store::open_board(&location, &origin)) {
        Ok(opened) => opened,
        // Said in a window too: started from the desktop, standard error is seen by nobody.
        Err(e) => {
            eprintln!("tandem: {e}");
            tracing::warn!(error = %e, db = %location, "cannot open the board");
            app::run_cannot_open(location, source, &e)?;
            return Ok(());
        }
    };
    match opened.sent {
        Some(Ok(done)) => tracing::info!(?done, "sent the changes made while offline"),
        Some(Err(e)) => tracing::warn!(error = %e, "the changes made while offline wait"),
        None => {}
    }
    let store = opened.store;
    tracing::info!(db = %location, "opened the database");
    let start = Startup {
        instance,
        endpoint: Endpoint::for_location(&location),
        database: location,
        database_source: source,
        settings_file: SettingsFile::in_config_dir(),
        env_window,
    };
    app::run(AppState::new(store, start))?;
    Ok(())
}

fn is_unset(variable: &str) -> bool {
    std::env::var_os(variable).is_none_or(|value| value.is_empty())
}
