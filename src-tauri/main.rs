//! `tandem`: with no command, the desktop app; with one, the headless CLI.

use std::process::ExitCode;

use clap::Parser;
use tandem::app::{self, AppState, Startup};
use tandem::bridge::Endpoint;
use tandem::cli::{self, Cli};
use tandem::model::{Actor, Origin};
use tandem::settings::{self, SettingsFile};
use tandem::{config, debounce, store::Store};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::parse_error(e),
    };
    init_tracing(cli.command.is_some());
    // Checked in every mode, so a mistyped value never passes silently.
    let env_window = match debounce::window_from_env() {
        Ok(window) => window,
        Err(e) => {
            eprintln!("tandem: {e}");
            return ExitCode::from(cli::EXIT_USAGE);
        }
    };
    match cli.command {
        Some(command) => {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("tandem: cannot start: {e}");
                    return ExitCode::from(cli::EXIT_FAILURE);
                }
            };
            runtime.block_on(cli::run(cli.db, cli.json, command))
        }
        None => match gui(cli.db, env_window) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tandem: {e:#}");
                ExitCode::from(cli::EXIT_FAILURE)
            }
        },
    }
}

fn gui(db: Option<String>, env_window: Option<std::time::Duration>) -> anyhow::Result<()> {
    let (location, source) =
        config::location(db.as_deref(), settings::chosen_database().as_deref())?;
    let instance = uuid::Uuid::now_v7().to_string();
    let origin = Origin::new(&instance, Actor::Gui);
    let store = tauri::async_runtime::block_on(Store::open(&location, &origin))?;
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

/// Logs go to stderr, filtered by `TANDEM_LOG` (e.g. `debug`, `tandem=trace`). The CLI logs
/// nothing by default: its errors are one line each, and scripts read its stderr.
fn init_tracing(headless: bool) {
    let default = if headless { "off" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
