//! The headless command line: the same store and rules as the app, with no window system.
//!
//! Must never touch Tauri or GTK, so it runs over SSH, in cron and in CI. Errors are one line on
//! stderr; the exit code says whose fault it was (2: the input, 1: the system).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::bridge::{self, Endpoint, Link, LinkConfig, Timing};
use crate::config;
use crate::error::{Error, Result};
use crate::model::{Actor, Change, Column, LinkStatus, Origin, Project, Task, TaskId};
use crate::store::{NewTask, Store};

/// Exit code for input the user can fix: bad arguments, unknown ids, invalid values, conflicts.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for failures of the system: the database cannot be opened, read or written.
pub const EXIT_FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(name = "tandem", version, about = "A live task board for many windows")]
#[command(after_help = "Run without a command to open the board.")]
pub struct Cli {
    /// The database file [default: tandem.db in the app's data folder].
    #[arg(long, global = true, env = "TANDEM_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, move and remove tasks.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Print every change as one JSON line, as it happens, until interrupted.
    Watch {
        /// Only this project's changes (name or id).
        #[arg(long)]
        project: Option<String>,
        /// First replay the log's changes after this seq.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
        since: Option<i64>,
    },
    /// Show the hub, the instances linked to it, and their windows' streams.
    Status,
    /// Serve the hub headless (for service managers), or stand by while another serves it.
    Hub,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a task at the bottom of a column; prints its id.
    Add {
        /// The task's title.
        title: String,
        #[command(flatten)]
        project: ProjectArg,
        /// The column's name or id [default: the project's first column].
        #[arg(long)]
        column: Option<String>,
    },
    /// List a project's tasks, column by column.
    Ls {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Move a task to a column, at an index (0 is the top) or else to the bottom.
    Move {
        /// The task's id.
        id: String,
        /// The column's name or id, in the task's project.
        #[arg(long)]
        column: String,
        /// Where in the column, counting from 0 at the top [default: the bottom].
        #[arg(long, allow_negative_numbers = true)]
        index: Option<i64>,
    },
    /// Remove a task.
    Rm {
        /// The task's id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ProjectArg {
    /// The project's name or id [default: the first project].
    #[arg(long)]
    project: Option<String>,
}

/// Prints a command-line parse error the way every other error is printed, or help and version
/// as clap would, and says how to exit.
pub fn parse_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let rendered = error.render().to_string();
            let line = rendered.lines().next().unwrap_or("invalid arguments");
            let line = line.strip_prefix("error: ").unwrap_or(line);
            eprintln!("tandem: {line} (see 'tandem --help')");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Runs a subcommand to completion and reports how it went.
pub async fn run(db: Option<PathBuf>, json: bool, command: Command) -> ExitCode {
    match execute(db, json, command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tandem: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Which exit code an error earns.
pub fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Storage(_) | Error::Migrate(_) | Error::Window | Error::Link(_) => EXIT_FAILURE,
        Error::NotFound { .. }
        | Error::Conflict { .. }
        | Error::Invalid { .. }
        | Error::Config { .. } => EXIT_USAGE,
    }
}

/// How often `watch` and `hub` look for other programs' commits to the file.
const OTHER_WRITERS_POLL: std::time::Duration = std::time::Duration::from_millis(50);

async fn execute(db: Option<PathBuf>, json: bool, command: Command) -> Result<()> {
    let path = config::db_path(db)?;
    let instance = uuid::Uuid::now_v7().to_string();
    let origin = Origin::new(&instance, Actor::Cli);
    let store = Store::open(&path, &origin).await?;
    let endpoint = Endpoint::for_database(&path);
    let out = Output { json };
    match command {
        Command::Watch { project, since } => {
            let scope = match project {
                Some(name) => Some(store.find_project(&name).await?.id),
                None => None,
            };
            watch(Arc::new(store), endpoint, instance, scope, since).await
        }
        Command::Status => status(&store, &path, endpoint, &instance, &out).await,
        Command::Hub => hub(Arc::new(store), endpoint, instance).await,
        Command::Task(command) => {
            // What this command commits, to tell the open windows through the hub.
            let mut committed = store.bus().subscribe();
            task(&store, &origin, &out, command).await?;
            let mine: Vec<Change> = std::iter::from_fn(|| committed.try_recv().ok())
                .flat_map(|changes| changes.to_vec())
                .filter(|c| c.origin.as_ref().is_some_and(|o| o.instance == instance))
                .collect();
            if let Ok(endpoint) = endpoint {
                // The change is committed; windows that miss this news read it from the file.
                if let Err(e) = bridge::announce(&endpoint, &instance, &mine).await {
                    tracing::info!(error = %e, "could not tell the hub about the change");
                }
            }
            Ok(())
        }
    }
}

async fn task(store: &Store, origin: &Origin, out: &Output, command: TaskCommand) -> Result<()> {
    match command {
        TaskCommand::Add {
            title,
            project,
            column,
        } => {
            let project = project.resolve(store).await?;
            let column_id = match column {
                Some(name) => Some(store.find_column(&project.id, &name).await?.id),
                None => None,
            };
            let new = NewTask {
                project_id: project.id,
                column_id,
                title,
            };
            let task = store.create_task(origin, new).await?;
            out.print(&task, || task.id.to_string())
        }
        TaskCommand::Ls { project } => {
            let project = project.resolve(store).await?;
            let board = store.board(&project.id).await?;
            let tasks = store.tasks(&project.id).await?;
            out.print(&tasks, || listing(&project, &board.columns, &tasks))
        }
        TaskCommand::Move { id, column, index } => {
            let task = store.task(&TaskId(id)).await?;
            let column = store.find_column(&task.project_id, &column).await?;
            let moved = store
                .move_task(
                    origin,
                    &task.id,
                    task.version,
                    &column.id,
                    index.unwrap_or(i64::MAX),
                )
                .await?;
            out.print(&moved, String::new)
        }
        TaskCommand::Rm { id } => {
            let task = store.task(&TaskId(id)).await?;
            store.delete_task(origin, &task.id, task.version).await?;
            out.print(&task, String::new)
        }
    }
}

/// `tandem watch`: replays the log after `since`, then prints each change as it commits,
/// whether it came over the link or from the file, once and in seq order.
async fn watch(
    store: Arc<Store>,
    endpoint: std::io::Result<Endpoint>,
    instance: String,
    scope: Option<crate::model::ProjectId>,
    since: Option<i64>,
) -> Result<()> {
    // Joined before the log is read, so nothing falls between the replay and the stream.
    let mut bus = store.bus().subscribe();
    let since = match since {
        Some(seq) => seq,
        None => store.seq().await?,
    };
    let replay = store.changes_since(since, scope.as_ref()).await?;
    let mut printed = replay.to_seq;
    if !print_changes(&replay.changes) {
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopping = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    tokio::spawn({
        let store = store.clone();
        let stopping = stopping();
        async move {
            store
                .watch_other_writers(OTHER_WRITERS_POLL, stopping)
                .await
        }
    });
    if let Ok(endpoint) = endpoint {
        let config = LinkConfig {
            instance,
            kind: Actor::Cli,
            scope: scope.clone(),
            serve: false,
            window: std::time::Duration::ZERO.into(),
            timing: Timing::default(),
        };
        tokio::spawn(Link::new(config, endpoint, store.clone()).run(stopping()));
    }
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    loop {
        let changes: Vec<Change> = tokio::select! {
            () = &mut interrupted => break,
            received = bus.recv() => match received {
                Ok(committed) => committed.iter().filter(|c| c.seq > printed).cloned().collect(),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    store.changes_since(printed, scope.as_ref()).await?.changes
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        };
        let Some(last) = changes.last().map(|c| c.seq) else {
            continue;
        };
        printed = last;
        let mine: Vec<Change> = changes
            .into_iter()
            .filter(|c| scope.is_none() || c.project_id == scope)
            .collect();
        if !print_changes(&mine) {
            break;
        }
    }
    stop.send_replace(true);
    Ok(())
}

/// Prints changes as JSON lines; `false` once nobody reads stdout any more.
fn print_changes(changes: &[Change]) -> bool {
    let mut out = io::stdout().lock();
    for change in changes {
        let Ok(line) = serde_json::to_string(change) else {
            tracing::error!(seq = change.seq, "cannot encode a change");
            continue;
        };
        if writeln!(out, "{line}").is_err() {
            return false;
        }
    }
    out.flush().is_ok()
}

/// `tandem status`: the log, the hub and everyone linked to it.
async fn status(
    store: &Store,
    path: &std::path::Path,
    endpoint: std::io::Result<Endpoint>,
    instance: &str,
    out: &Output,
) -> Result<()> {
    let seq = store.seq().await?;
    let (socket, welcome) = match &endpoint {
        Ok(endpoint) => (
            Some(endpoint.socket().to_path_buf()),
            bridge::ask_hub(endpoint, instance).await?,
        ),
        Err(_) => (None, None),
    };
    // This command's own connection is not one of the peers worth showing.
    let peers: Vec<_> = welcome
        .as_ref()
        .map(|w| {
            w.peers
                .iter()
                .filter(|p| p.instance != instance)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let report = StatusReport {
        db: path.to_path_buf(),
        seq,
        socket,
        hub: welcome.as_ref().map(|w| w.hub.clone()),
        peers,
    };
    out.print(&report, || report.text())
}

/// What `tandem status` prints.
#[derive(serde::Serialize)]
struct StatusReport {
    db: PathBuf,
    /// The change log's last seq.
    seq: i64,
    /// Where the hub listens (or would).
    socket: Option<PathBuf>,
    /// The hub's instance id; `None` when no instance is running.
    hub: Option<String>,
    peers: Vec<bridge::frame::PeerInfo>,
}

impl StatusReport {
    fn text(&self) -> String {
        let mut text = format!(
            "database  {}  (log at seq {})\n",
            self.db.display(),
            self.seq
        );
        let Some(hub) = &self.hub else {
            text.push_str("hub       none: no instance of Tandem is running on this database");
            return text;
        };
        let serving = self.peers.iter().find(|p| &p.instance == hub);
        let socket = self
            .socket
            .as_ref()
            .map(|s| s.display().to_string())
            .unwrap_or_default();
        match serving {
            Some(p) => text.push_str(&format!(
                "hub       {hub}  ({}, pid {})  at {socket}\n",
                kind_name(p.kind),
                p.pid
            )),
            None => text.push_str(&format!("hub       {hub}  at {socket}\n")),
        }
        text.push_str(&format!("peers     {}\n", self.peers.len()));
        for peer in &self.peers {
            let l = &peer.link;
            text.push_str(&format!(
                "  {:<4} pid {:<7} {}  batches in {}, out {}, resyncs {}\n",
                kind_name(peer.kind),
                peer.pid,
                peer.instance,
                l.batches_in,
                l.batches_out,
                l.resyncs
            ));
            let windows = peer
                .report
                .as_ref()
                .and_then(|r| serde_json::from_str::<WindowsReport>(r.get()).ok())
                .map(|r| r.windows)
                .unwrap_or_default();
            for w in windows {
                let latency = match w.latency {
                    Some(l) => format!("; commit→shown p50 {} ms, p99 {} ms", l.p50_ms, l.p99_ms),
                    None => String::new(),
                };
                text.push_str(&format!(
                    "       {:<9} batches {}, changes {}, coalesced {}, gaps filled {}, resyncs {}{latency}\n",
                    w.label, w.batches, w.changes, w.coalesced, w.gaps_filled, w.resyncs
                ));
            }
        }
        text.trim_end().to_owned()
    }
}

/// The part of a GUI instance's report that `status` shows.
#[derive(serde::Deserialize)]
struct WindowsReport {
    windows: Vec<crate::model::WindowStatus>,
}

fn kind_name(kind: Actor) -> &'static str {
    match kind {
        Actor::Gui => "gui",
        Actor::Cli => "cli",
        Actor::Hub => "hub",
    }
}

/// `tandem hub`: serves the hub, or stands by to take over, until interrupted.
async fn hub(
    store: Arc<Store>,
    endpoint: std::io::Result<Endpoint>,
    instance: String,
) -> Result<()> {
    let endpoint = endpoint.map_err(|e| Error::Config {
        name: "XDG_RUNTIME_DIR",
        reason: format!("no folder for the hub's socket: {}", e.kind()),
    })?;
    let socket = endpoint.socket().to_path_buf();
    let config = LinkConfig {
        instance,
        kind: Actor::Hub,
        scope: None,
        serve: true,
        window: std::time::Duration::ZERO.into(),
        timing: Timing::default(),
    };
    let link = Link::new(config, endpoint, store);
    let mut status = link.status();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(link.run(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    let mut said = String::new();
    loop {
        tokio::select! {
            () = &mut interrupted => break,
            changed = status.changed() => if changed.is_err() { break },
        }
        let line = match &*status.borrow_and_update() {
            LinkStatus::Live { serving: true, .. } => {
                format!("serving the hub at {}", socket.display())
            }
            LinkStatus::Live { hub, .. } => format!("standing by: instance {hub} serves the hub"),
            LinkStatus::Reconnecting => "the hub went away; taking over or reconnecting".to_owned(),
            LinkStatus::LocalOnly { reason } => format!("cannot serve the hub: {reason}"),
            LinkStatus::Connecting => continue,
        };
        // Presence changes the instance count, not what is worth saying.
        if line != said {
            eprintln!("tandem: {line}");
            said = line;
        }
    }
    stop.send_replace(true);
    let _ = running.await;
    Ok(())
}

/// Completes on Ctrl+C or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

impl ProjectArg {
    async fn resolve(&self, store: &Store) -> Result<Project> {
        match &self.project {
            Some(name) => store.find_project(name).await,
            None => store.first_project().await,
        }
    }
}

/// Where results go: JSON for scripts, text for people.
struct Output {
    json: bool,
}

impl Output {
    fn print<T: serde::Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<()> {
        let text = if self.json {
            serde_json::to_string_pretty(value).map_err(|e| {
                tracing::error!(error = %e, "cannot encode a result");
                Error::Storage(sqlx::Error::Decode(Box::new(e)))
            })?
        } else {
            text()
        };
        if text.is_empty() {
            return Ok(());
        }
        // A closed pipe (`tandem task ls | head`) is the reader's choice, not a failure.
        let _ = writeln!(io::stdout().lock(), "{text}");
        Ok(())
    }
}

/// The board as text: each column with its tasks under it.
fn listing(project: &Project, columns: &[Column], tasks: &[Task]) -> String {
    let mut text = format!("{}\n", project.name);
    for column in columns {
        let mine: Vec<&Task> = tasks.iter().filter(|t| t.column_id == column.id).collect();
        text.push_str(&format!("  {} ({})\n", column.name, mine.len()));
        for task in mine {
            text.push_str(&format!("    {}  {}\n", task.id, task.title));
        }
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_means_the_gui() {
        let cli = Cli::try_parse_from(["tandem", "--db", "x.db"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn move_parses_a_negative_index_for_the_store_to_refuse() {
        let cli = Cli::try_parse_from([
            "tandem", "task", "move", "id", "--column", "Doing", "--index", "-1",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Task(TaskCommand::Move {
                index: Some(-1),
                ..
            }))
        ));
    }

    #[test]
    fn status_text_shows_each_windows_stream_and_latency() {
        let report = r#"{"windows": [
            {"label": "board-1", "batches": 3, "changes": 5, "coalesced": 1, "gaps_filled": 0,
             "resyncs": 0, "latency": {"p50_ms": 4, "p99_ms": 17, "samples": 5}},
            {"label": "board-2", "batches": 0, "changes": 0, "coalesced": 0, "gaps_filled": 0,
             "resyncs": 0}
        ]}"#;
        let status = StatusReport {
            db: "/data/tandem.db".into(),
            seq: 9,
            socket: Some("/run/tandem/x.sock".into()),
            hub: Some("app".into()),
            peers: vec![bridge::frame::PeerInfo {
                instance: "app".into(),
                pid: 42,
                kind: Actor::Gui,
                scope: None,
                link: Default::default(),
                report: serde_json::value::RawValue::from_string(report.into()).ok(),
            }],
        };
        let text = status.text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].starts_with("hub       app  (gui, pid 42)"),
            "{text}"
        );
        assert!(
            lines[4].trim().starts_with("board-1")
                && lines[4].ends_with("resyncs 0; commit→shown p50 4 ms, p99 17 ms"),
            "{text}"
        );
        assert!(lines[5].trim().starts_with("board-2"), "{text}");
        assert!(
            lines[5].ends_with("resyncs 0"),
            "a window with no figures yet: {text}"
        );
    }

    #[test]
    fn user_errors_and_system_errors_exit_differently() {
        assert_eq!(exit_code(&Error::invalid("title", "x")), EXIT_USAGE);
        assert_eq!(
            exit_code(&Error::Storage(sqlx::Error::PoolTimedOut)),
            EXIT_FAILURE
        );
    }
}
