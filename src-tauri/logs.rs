//! Where Tandem says what it did: stderr always, and for the app and `tandem hub` a log file a
//! user can find, since a desktop launcher throws stderr away.
//!
//! The file is in the user's log folder (`$XDG_STATE_HOME/dev.tandem.board/logs` on Linux),
//! started anew each day (`tandem.YYYY-MM-DD.log`) and kept 7 days. `TANDEM_LOG` sets the level
//! (`debug`, `tandem=trace`, …). A panic is logged with where it happened before the process
//! ends.

use std::path::PathBuf;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::config::APP_ID;
use crate::error::{Error, Result};

/// How many days of logs are kept.
pub const DAYS_KEPT: usize = 7;

/// Who is logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logger {
    /// The desktop app: stderr and the file, `info` unless told otherwise.
    App,
    /// `tandem hub`: the same as the app.
    Hub,
    /// Any other command: stderr only, and nothing unless `TANDEM_LOG` asks (its errors are one
    /// line each, and scripts read its stderr).
    Cli,
}

/// The log folder; `None` when the user has no home to keep one in.
pub fn dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|dir| dir.join(APP_ID).join("logs"))
}

/// Sets up logging for `logger`. A log file that cannot be made costs the file, not the run:
/// stderr says why.
pub fn init(logger: Logger) {
    let default = match logger {
        Logger::App | Logger::Hub => "info",
        Logger::Cli => "off",
    };
    let filter =
        || EnvFilter::try_from_env("TANDEM_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = match logger {
        Logger::Cli => None,
        Logger::App | Logger::Hub => match appender() {
            Ok(appender) => {
                started(&appender, logger);
                Some(
                    fmt::layer()
                        .with_ansi(false)
                        .with_writer(appender)
                        .with_filter(filter()),
                )
            }
            Err(e) => {
                eprintln!("tandem: no log file: {e}");
                None
            }
        },
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    if logger != Logger::Cli {
        log_panics();
    }
}

/// Opens the day's file with a line saying who started, whatever the level: a log that shows
/// each start tells a user whether Tandem ran at all.
fn started(appender: &RollingFileAppender, logger: Logger) {
    use std::io::Write;
    use tracing_subscriber::fmt::MakeWriter;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let who = if logger == Logger::Hub { "hub" } else { "app" };
    let level = std::env::var("TANDEM_LOG").unwrap_or_else(|_| "info".into());
    let line = format!(
        "{now} Tandem {who} {} started (pid {}), logging at {level}\n",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    if let Err(e) = appender.make_writer().write_all(line.as_bytes()) {
        eprintln!("tandem: cannot write the log file: {e}");
    }
}

/// Today's log file, rolled over daily, the last [`DAYS_KEPT`] kept. Written as lines come,
/// not from a buffer, so a crash loses none.
fn appender() -> Result<RollingFileAppender> {
    let dir = dir().ok_or_else(|| Error::Config {
        name: "XDG_STATE_HOME",
        reason: "there is no log folder; set HOME or XDG_STATE_HOME".into(),
    })?;
    let unusable = |e: &dyn std::fmt::Display| Error::Open {
        what: dir.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| unusable(&e))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("tandem")
        .filename_suffix("log")
        .max_log_files(DAYS_KEPT)
        .build(&dir)
        .map_err(|e| unusable(&e))
}

/// Logs every panic, with where it happened, before the usual report on stderr.
fn log_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        tracing::error!(at, "panicked: {message}");
        report(info);
    }));
}
