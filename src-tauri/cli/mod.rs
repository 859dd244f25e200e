//! The headless command line: the same store and rules as the app, with no window system.
//!
//! Must never touch Tauri or GTK, so it runs over SSH, in cron and in CI. Errors are one line on
//! stderr; the exit code says whose fault it was (2: the input, 1: the system).

mod board;
mod doctor;
mod live;

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::bridge::{self, Endpoint};
use crate::config;
use crate::error::{Error, Result};
use crate::import::Source;
use crate::model::{Actor, Change, Origin};
use crate::settings;
use crate::store::{Opened, PersonEdit, Search, Store};

pub use board::{
    ColumnCommand, CommentCommand, InboxCommand, LabelCommand, ProjectCommand, SubtaskCommand,
    TaskCommand,
};

/// Exit code for input the user can fix: bad arguments, unknown ids, invalid values, conflicts.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for failures of the system: the database cannot be opened, read or written.
pub const EXIT_FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(name = "tandem", version, about = "A live task board for many windows")]
#[command(after_help = "Run without a command to open the board.")]
pub struct Cli {
    /// The database: a file, or a postgres:// URL of a team's server [default: tandem.db in the
    /// app's data folder].
    #[arg(long, global = true, env = "TANDEM_DB", value_name = "PATH|URL")]
    pub db: Option<String>,

    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, edit, move, list and remove tasks; label them; read their history.
    #[command(subcommand)]
    Task(TaskCommand),
    /// A task's checklist: add, rename, check, reorder and remove items.
    #[command(subcommand)]
    Subtask(SubtaskCommand),
    /// A task's conversation: add, list, edit and delete comments.
    #[command(subcommand)]
    Comment(CommentCommand),
    /// Your news on a team's server, the latest first: being put on a card or mentioned, and
    /// comments, moves, archiving and due dates of the cards you watch. Unread only, unless
    /// --all; `tandem inbox read` marks it read (on every machine).
    Inbox {
        /// Read items too.
        #[arg(long)]
        all: bool,
        #[command(subcommand)]
        command: Option<InboxCommand>,
    },
    /// The changes this machine made to a server's board while the server was away: those
    /// waiting to be sent, and those the server refused, with why. `retry` makes refused ones
    /// anew over what is there now; `drop N` forgets one.
    Outbox {
        #[command(subcommand)]
        command: Option<board::OutboxCommand>,
    },
    /// Who is here right now on a team's server: the people with a window open on your
    /// projects, on any machine, and the card each has open.
    Who {
        /// Only this project (name or id).
        #[arg(long)]
        project: Option<String>,
    },
    /// Add, rename, reorder and delete projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Add, rename, limit, reorder and delete a project's columns.
    #[command(subcommand)]
    Column(ColumnCommand),
    /// Add, rename, recolour and delete a project's labels.
    #[command(subcommand)]
    Label(LabelCommand),
    /// Find cards in every project by their title, description or checklist: words, prefixes
    /// (`deplo*`) and "quoted phrases"; a card must hold them all. Best matches first.
    Search {
        /// What to find.
        query: String,
        /// Only this project's cards (name or id).
        #[arg(long)]
        project: Option<String>,
        /// The most cards to list.
        #[arg(long, default_value_t = crate::store::SEARCH_LIMIT,
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Archived cards too.
        #[arg(long)]
        archived: bool,
    },
    /// Write projects out: JSON (everything; `tandem import tandem` reads it back), CSV (one
    /// row per card) or Markdown (a document).
    Export {
        #[arg(value_enum)]
        format: crate::export::Format,
        /// Only this project (name or id) [default: every project].
        #[arg(long)]
        project: Option<String>,
        /// Write to this file (replaced whole, or left as it was if the export fails)
        /// [default: standard output].
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Bring cards in from a file, all of it or nothing: Tandem's own JSON, Trello's board
    /// export or a spreadsheet's CSV. Says what it brought, and what it left out or read
    /// differently; --dry-run says it and writes nothing.
    Import {
        /// Read and check the file and say what importing it would bring and leave out, how
        /// a CSV was read and where the cards would go; write nothing.
        #[arg(long, global = true)]
        dry_run: bool,
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Copy the whole database, history included, to a new SQLite file while Tandem runs:
    /// `tandem --db FILE` opens it, and so does `sqlite3`.
    Backup {
        /// The new file [default: a dated file in the data folder's `backups`].
        file: Option<std::path::PathBuf>,
    },
    /// Replace the whole board with a backup's (a Tandem database file), while Tandem runs:
    /// every open window shows it at once. The board as it was is kept first, in the data
    /// folder's `backups`; a file that is not a Tandem database is refused.
    Restore {
        /// The backup to bring back.
        file: std::path::PathBuf,
    },
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
    /// Check the set-up: the database, its schema, the socket folder, the hub, the settings,
    /// a tray host and a notification daemon, the log folder. One line each: ✓, ✗ with what to
    /// do, or ⚠ for what Tandem works without (tray, notifications); exits 1 only when a check
    /// fails. Changes nothing.
    Doctor,
    /// Move a board between databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// The people of a team's server board: make the database a team's, add people, list them.
    #[command(subcommand)]
    Team(TeamCommand),
    /// A team project's members and their roles: owner, editor, commenter, viewer.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Who you are on this database (on a server, your login; on a file, the system's), with
    /// the name and colour others see; --name and --color change them.
    Whoami {
        /// The name others see.
        #[arg(long)]
        name: Option<String>,
        /// The colour of your initials, #RRGGBB.
        #[arg(long, value_name = "#RRGGBB")]
        color: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Tandem's own JSON (`tandem export json`): its projects, columns, labels and cards, added
    /// to the projects and columns of the same names, or made.
    Tandem { file: std::path::PathBuf },
    /// Trello's board export (JSON), old or new: open lists as columns, cards in Trello's
    /// order with their descriptions, due dates, labels, checklists, members and comments;
    /// closed cards, and the cards of closed lists, archived; attachments as links.
    Trello {
        file: std::path::PathBuf,
        /// The project the cards go to (made if need be) [default: the board's name].
        #[arg(long)]
        project: Option<String>,
    },
    /// CSV with a header row, as Tandem, spreadsheets (comma, semicolon or tab; UTF-8, UTF-16,
    /// Windows-1252 or Mac Roman), Jira, Asana, GitHub Projects and Trello write it: a title column
    /// required (title, Summary, Name, Card Name, Task…); column (Status, List Name,
    /// Section…), description, priority, due, labels (Tags…), checklist, archived, assignees,
    /// comments and project optional, in any order and case. Says what it leaves out.
    Csv {
        file: std::path::PathBuf,
        /// The project the cards go to (made if need be) [default: the file's `project` column,
        /// else the first project].
        #[arg(long)]
        project: Option<String>,
        /// What separates the cells [default: told from the header line].
        #[arg(long, value_enum)]
        delimiter: Option<crate::import::Delimiter>,
        /// The file's encoding [default: told from its bytes].
        #[arg(long, value_enum)]
        encoding: Option<crate::import::Encoding>,
        /// Read a card field from a column the file names otherwise: FIELD=HEADER, for example
        /// due=Deadline (again for more).
        #[arg(long, value_name = "FIELD=HEADER", value_parser = parse_map)]
        map: Vec<crate::import::FieldMap>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Make a server database a team's (run once, by the database's owner): a group role of its
    /// own whose members may use the board. Running it again changes nothing.
    Init,
    /// Let LOGIN use the board: a new login (with the password read from standard input when
    /// --password-stdin; the caller needs the right to create roles) or an existing one.
    Add {
        login: String,
        /// The name others see [default: the login].
        #[arg(long)]
        name: Option<String>,
        /// Read the new login's password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Everyone the board knows.
    Ls,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Make LOGIN a member of PROJECT (name or id) with ROLE, or give a member another role.
    /// Only the project's owners may.
    Add {
        project: String,
        login: String,
        /// owner (members, rename, delete), editor (cards, columns, labels, checklists),
        /// commenter or viewer (reads).
        #[arg(long, value_parser = parse_role)]
        role: crate::model::Role,
    },
    /// The project's members and their roles.
    Ls { project: String },
    /// Take LOGIN off PROJECT: they no longer see it. Only the project's owners may.
    Rm { project: String, login: String },
}

/// A `--map` as typed.
fn parse_map(text: &str) -> Result<crate::import::FieldMap> {
    text.parse()
}

/// A role as typed, in any case.
fn parse_role(text: &str) -> Result<crate::model::Role> {
    crate::model::Role::try_from(text.trim().to_lowercase()).map_err(|_| {
        Error::invalid(
            "role",
            format!("{text:?} is not one of owner, editor, commenter, viewer"),
        )
    })
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy every table and the whole change log (history, undo and `watch --since` survive)
    /// from one database to another: a file or a postgres:// URL either way.
    Copy {
        /// The database to copy (it must hold a board).
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// The database to copy into; refused when it holds a board, unless --force.
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// Replace the board the target holds.
        #[arg(long)]
        force: bool,
    },
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
/// Runs a headless command on a runtime of its own, as both binaries do: tracing set up for the
/// command line, `TANDEM_DEBOUNCE_MS` checked (a mistyped value never passes silently).
pub fn main(db: Option<String>, json: bool, command: Command) -> ExitCode {
    crate::logs::init(match command {
        Command::Hub => crate::logs::Logger::Hub,
        _ => crate::logs::Logger::Cli,
    });
    if let Err(e) = crate::debounce::window_from_env() {
        eprintln!("tandem: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(db, json, command)),
        Err(e) => {
            eprintln!("tandem: cannot start: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

pub async fn run(db: Option<String>, json: bool, command: Command) -> ExitCode {
    if let Command::Doctor = command {
        let checks = doctor::checks(db.as_deref()).await;
        let out = Output { json };
        let lines = || {
            checks
                .iter()
                .map(doctor::Check::line)
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Err(e) = out.print(&checks, lines) {
            eprintln!("tandem: {e}");
        }
        return if checks.iter().all(|c| c.ok) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FAILURE)
        };
    }
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
        Error::Storage(_)
        | Error::Migrate(_)
        | Error::Window
        | Error::Open { .. }
        | Error::Offline { .. }
        | Error::ServerFull { .. }
        | Error::Link(_) => EXIT_FAILURE,
        Error::NotFound { .. }
        | Error::Forbidden { .. }
        | Error::Conflict { .. }
        | Error::Invalid { .. }
        | Error::Config { .. }
        | Error::Applied { .. } => EXIT_USAGE,
    }
}

async fn execute(db: Option<String>, json: bool, command: Command) -> Result<()> {
    let out = Output { json };
    if let Command::Db(DbCommand::Copy { from, to, force }) = &command {
        return copy(&out, from, to, *force).await;
    }
    let (location, _) = config::location(db.as_deref(), settings::chosen_database().as_deref())?;
    let instance = uuid::Uuid::now_v7().to_string();
    let origin = Origin::new(&instance, Actor::Cli);
    // A server board whose server is away opens from this machine's copy, and says so; once
    // it is back, what was queued meanwhile is sent before this command's change.
    let Opened { store, sent } = Store::open_board(&location, &origin).await?;
    if let Some(url) = store.copy_of() {
        eprintln!(
            "tandem: the server {} cannot be reached; this is this machine's copy of the board \
             as last seen",
            url.host()
        );
    }
    match sent {
        Some(Ok(sent)) => eprintln!("tandem: {}", sent.sentence()),
        Some(Err(e)) => eprintln!("tandem: the changes made while offline still wait: {e}"),
        None => {}
    }
    let endpoint = Endpoint::for_location(&location);
    // What an editing command commits, to tell the open windows through the hub.
    let mut committed = store.bus().subscribe();
    match command {
        Command::Watch { project, since } => {
            let scope = match project {
                Some(name) => Some(store.find_project(&name).await?.id),
                None => None,
            };
            return live::watch(Arc::new(store), endpoint, instance, scope, since).await;
        }
        Command::Status => return live::status(&store, &location, endpoint, &instance, &out).await,
        Command::Hub => return live::hub(Arc::new(store), endpoint, instance).await,
        command => {
            store.checkpoint_at_close();
            let done = edit(&store, &origin, &out, command).await;
            let waiting = store.outbox_waiting().await;
            store.close().await;
            done?;
            let mine: Vec<Change> = std::iter::from_fn(|| committed.try_recv().ok())
                .flat_map(|changes| changes.to_vec())
                .filter(|c| c.origin.as_ref().is_some_and(|o| o.instance == instance))
                .collect();
            if let (Some(url), false) = (store.copy_of(), mine.is_empty()) {
                let waiting = waiting?;
                let changes = if waiting == 1 { "change" } else { "changes" };
                eprintln!(
                    "tandem: queued: sent to {} once it is back ({waiting} {changes} waiting)",
                    url.host()
                );
            }
            tell_hub(endpoint, &instance, &mine).await;
        }
    }
    Ok(())
}

/// Tells the open windows, through the hub, of the changes this command committed.
async fn tell_hub(endpoint: std::io::Result<Endpoint>, instance: &str, mine: &[Change]) {
    if let (Ok(endpoint), false) = (endpoint, mine.is_empty()) {
        // The change is committed; windows that miss this news read it from the file.
        if let Err(e) = bridge::announce(&endpoint, instance, mine).await {
            tracing::info!(error = %e, "could not tell the hub about the change");
        }
    }
}

/// A command that reads or edits the board.
async fn edit(store: &Store, origin: &Origin, out: &Output, command: Command) -> Result<()> {
    match command {
        Command::Task(command) => board::task(store, origin, out, command).await,
        Command::Subtask(command) => board::subtask(store, origin, out, command).await,
        Command::Comment(command) => board::comment(store, origin, out, command).await,
        Command::Inbox { all, command } => board::inbox(store, origin, out, all, command).await,
        Command::Who { project } => board::who(store, out, project.as_deref()).await,
        Command::Outbox { command } => board::outbox(store, origin, out, command).await,
        Command::Project(command) => board::project(store, origin, out, command).await,
        Command::Column(command) => board::column(store, origin, out, command).await,
        Command::Label(command) => board::label(store, origin, out, command).await,
        Command::Search {
            query,
            project,
            limit,
            archived,
        } => {
            let project = match project {
                Some(name) => Some(store.find_project(&name).await?.id),
                None => None,
            };
            let search = Search {
                project: project.as_ref(),
                limit,
                archived,
                ..Search::new(&query)
            };
            self::search(store, out, search).await
        }
        Command::Export {
            format,
            project,
            output,
        } => export(store, format, project.as_deref(), output.as_deref()).await,
        Command::Backup { file } => backup(store, out, file).await,
        Command::Restore { file } => restore(store, origin, out, &file).await,
        Command::Import { dry_run, what } => import(store, origin, out, what, dry_run).await,
        Command::Team(command) => team(store, out, command).await,
        Command::Member(command) => member(store, origin, out, command).await,
        Command::Whoami { name, color } => whoami(store, out, PersonEdit { name, color }).await,
        Command::Db(_)
        | Command::Watch { .. }
        | Command::Status
        | Command::Hub
        | Command::Doctor => Ok(()),
    }
}

/// `tandem team`: a team's people.
async fn team(store: &Store, out: &Output, command: TeamCommand) -> Result<()> {
    match command {
        TeamCommand::Init => {
            let team = store.team_init().await?;
            out.print(&team, || {
                format!(
                    "{} is a team's board: `tandem team add LOGIN` lets people in (group {})",
                    store.location(),
                    team.role
                )
            })
        }
        TeamCommand::Add {
            login,
            name,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| Error::Invalid {
                        field: "password",
                        reason: format!("cannot read standard input: {e}"),
                    })?;
                let line = line.trim_end_matches(['\r', '\n']).to_owned();
                if line.is_empty() {
                    return Err(Error::invalid(
                        "password",
                        "standard input gave no password",
                    ));
                }
                Some(line)
            } else {
                None
            };
            let person = store
                .team_add(&login, name.as_deref(), password.as_deref())
                .await?;
            out.print(&person, || {
                format!("{} ({}) may use the board", person.login, person.name)
            })
        }
        TeamCommand::Ls => {
            let people = store.people().await?;
            out.print(&people, || {
                let lines: Vec<String> = people
                    .iter()
                    .map(|p| format!("{:<20} {}", p.login, p.name))
                    .collect();
                lines.join("\n")
            })
        }
    }
}

/// `tandem member`: a project's members.
async fn member(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: MemberCommand,
) -> Result<()> {
    match command {
        MemberCommand::Add {
            project,
            login,
            role,
        } => {
            let project = store.find_project(&project).await?;
            let member = store.set_member(origin, &project.id, &login, role).await?;
            out.print(&member, || {
                format!("{} is {} of {}", member.login, role.as_str(), project.name)
            })
        }
        MemberCommand::Ls { project } => {
            let project = store.find_project(&project).await?;
            let members = store.members(&project.id).await?;
            out.print(&members, || {
                let lines: Vec<String> = members
                    .iter()
                    .map(|m| format!("{:<20} {}", m.login, m.role.as_str()))
                    .collect();
                lines.join("\n")
            })
        }
        MemberCommand::Rm { project, login } => {
            let project = store.find_project(&project).await?;
            store.remove_member(origin, &project.id, &login).await?;
            out.print(&serde_json::json!({"removed": login}), || {
                format!("{login} no longer sees {}", project.name)
            })
        }
    }
}

/// `tandem whoami`: the person, after the edit asked for, if any.
async fn whoami(store: &Store, out: &Output, edit: PersonEdit) -> Result<()> {
    let me = if edit.name.is_some() || edit.color.is_some() {
        store.edit_me(edit).await?
    } else {
        store.me().await?
    };
    let database = store.location().to_string();
    out.print(&me, || {
        format!("{} ({}, {}) on {database}", me.login, me.name, me.color)
    })
}

/// `tandem search`: one card a line, with where it is.
async fn search(store: &Store, out: &Output, search: Search<'_>) -> Result<()> {
    let text = search.text;
    let hits = store.search(search).await?;
    out.print(&hits, || {
        if hits.is_empty() {
            // On stderr, so `tandem search x | wc -l` counts cards.
            eprintln!("tandem: no card matches {text}");
        }
        let lines: Vec<String> = hits
            .iter()
            .map(|h| {
                let archived = if h.archived_at.is_some() {
                    ", archived"
                } else {
                    ""
                };
                format!(
                    "{}  {}  ({} › {}{archived})",
                    h.task_id, h.title, h.project, h.column
                )
            })
            .collect();
        lines.join("\n")
    })
}

/// `tandem export`: to standard output, or to a file that is replaced only once the whole
/// export is written.
async fn export(
    store: &Store,
    format: crate::export::Format,
    project: Option<&str>,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let project = match project {
        Some(name) => Some(store.find_project(name).await?.id),
        None => None,
    };
    let text = crate::export::Export::read(store, project.as_ref())
        .await?
        .render(format)?;
    let Some(path) = output else {
        // A closed pipe (`tandem export csv | head`) is the reader's choice, not a failure.
        let _ = io::stdout().lock().write_all(text.as_bytes());
        return Ok(());
    };
    crate::export::write(path, &text)
}

/// `tandem import`: the file checked whole, then written in one transaction; progress on stderr
/// for large files.
async fn import(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: ImportCommand,
    dry_run: bool,
) -> Result<()> {
    let mut options = crate::import::CsvOptions::default();
    let (file, source, project) = match command {
        ImportCommand::Tandem { file } => (file, Source::Tandem, None),
        ImportCommand::Trello { file, project } => (file, Source::Trello, project),
        ImportCommand::Csv {
            file,
            project,
            delimiter,
            encoding,
            map,
        } => {
            options = crate::import::CsvOptions {
                delimiter,
                encoding,
                map,
            };
            (file, Source::Csv, project)
        }
    };
    let fallback = match source {
        Source::Csv => store.first_project().await?.name,
        _ => String::new(),
    };
    let (source, plan) =
        crate::import::read(&file, Some(source), project.as_deref(), &fallback, &options)?;
    if dry_run {
        let projects = store.projects().await?;
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        let preview = plan.preview(source, &names);
        return out.print(&preview, || would_import(&preview));
    }
    let total = plan.cards();
    let imported = store
        .import(origin, &plan.projects, |done, total| {
            if total >= 1_000 {
                eprintln!("tandem: imported {done} of {total} cards");
            }
        })
        .await?;
    #[derive(serde::Serialize)]
    struct Report<'a> {
        #[serde(flatten)]
        imported: &'a crate::store::Imported,
        /// What the file held that the import left out or read differently.
        notes: &'a [String],
    }
    let report = Report {
        imported: &imported,
        notes: &plan.notes,
    };
    out.print(&report, || {
        let names: Vec<&str> = plan.projects.iter().map(|p| p.name.as_str()).collect();
        let archived = match plan.archived() {
            0 => String::new(),
            n => format!(" ({n} archived)"),
        };
        let left_out = match imported.assignees_left_out {
            0 => String::new(),
            n => format!(
                "; {n} assignee{} left off: not members of the project",
                if n == 1 { "" } else { "s" }
            ),
        };
        let comments = match (imported.comments, imported.comments_signed) {
            (0, _) => String::new(),
            (n, 0) => format!(" with {n} comment{}", if n == 1 { "" } else { "s" }),
            (n, signed) => format!(
                " with {n} comment{} ({signed} by others signed as yours, their authors named \
                 in the text: a server lets you write only as yourself)",
                if n == 1 { "" } else { "s" }
            ),
        };
        let mut said = format!(
            "Imported {total} card{}{archived}{comments} into {}{left_out}",
            if total == 1 { "" } else { "s" },
            names.join(", ")
        );
        said_left_out(&mut said, &plan.notes);
        said
    })
}

/// Adds an import's notes to what it says, under their heading: nothing when there are none.
fn said_left_out(said: &mut String, notes: &[String]) {
    if !notes.is_empty() {
        said.push_str("\nLeft out or read differently:");
        for note in notes {
            said.push_str(&format!("\n  {note}"));
        }
    }
}

/// What an import would do, as `--dry-run` says it: the cards and where they go, how a CSV was
/// read, what is left out or read differently.
fn would_import(preview: &crate::import::ImportPreview) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let archived = match preview.archived {
        0 => String::new(),
        n => format!(" ({n} archived)"),
    };
    let comments = match preview.comments {
        0 => String::new(),
        n => format!(" with {}", plural(n, "comment")),
    };
    let into: Vec<String> = preview
        .projects
        .iter()
        .map(|p| {
            let new = if p.new { ", a new project" } else { "" };
            format!("{} ({}{new})", p.name, plural(p.cards, "card"))
        })
        .collect();
    let mut said = format!(
        "Would import {}{archived}{comments} into {}",
        plural(preview.cards, "card"),
        into.join(", ")
    );
    if let Some(csv) = &preview.csv {
        let header: Vec<String> = csv
            .header
            .iter()
            .map(|cell| match &cell.field {
                Some(field) => format!("{} → {field}", cell.name),
                None => format!("{} (left out)", cell.name),
            })
            .collect();
        said.push_str(&format!(
            "\nRead as {}, cells separated by {}s: {}",
            csv.encoding.name(),
            csv.delimiter.name(),
            header.join(", ")
        ));
    }
    said_left_out(&mut said, &preview.notes);
    said.push_str("\nNothing was written (--dry-run).");
    said
}

/// `tandem backup`: the file it wrote, on stdout.
async fn backup(store: &Store, out: &Output, file: Option<std::path::PathBuf>) -> Result<()> {
    let file = match file {
        Some(file) => file,
        None => {
            let dir = config::backup_dir()?;
            std::fs::create_dir_all(&dir).map_err(|e| {
                Error::invalid("file", format!("cannot make {}: {e}", dir.display()))
            })?;
            dir.join(crate::store::backup_name(time::OffsetDateTime::now_utc()))
        }
    };
    store
        .backup(&file, |done, total| {
            if total > 10_000 {
                eprintln!("tandem: copied {done} of {total} rows");
            }
        })
        .await?;
    let path = file.display().to_string();
    out.print(&serde_json::json!({ "file": path }), || {
        format!("Backed up to {path}")
    })
}

/// `tandem restore`: the board as it was kept in `backups`, then the backup's board in its
/// place; progress on stderr for large boards.
async fn restore(
    store: &Store,
    origin: &Origin,
    out: &Output,
    file: &std::path::Path,
) -> Result<()> {
    let dir = config::backup_dir()?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::invalid("file", format!("cannot make {}: {e}", dir.display())))?;
    let name = crate::store::backup_name(time::OffsetDateTime::now_utc());
    let kept = dir.join(name.replacen("tandem-", "before-restore-", 1));
    let restored = store
        .restore_backup(origin, file, &kept, |done, total| {
            if total > 10_000 {
                eprintln!("tandem: restored {done} of {total} rows");
            }
        })
        .await?;
    out.print(&restored, || {
        format!(
            "Restored {} card{} in {} project{} from {}.\nThe board as it was is kept in {}.",
            restored.cards,
            if restored.cards == 1 { "" } else { "s" },
            restored.projects,
            if restored.projects == 1 { "" } else { "s" },
            file.display(),
            restored.kept.display()
        )
    })
}

/// `tandem db copy`: progress on stderr for large boards, the outcome on stdout.
async fn copy(out: &Output, from: &str, to: &str, force: bool) -> Result<()> {
    let (from, to) = (config::Location::parse(from)?, config::Location::parse(to)?);
    let copied = crate::store::copy(&from, &to, force, |done, total| {
        if total > 10_000 {
            eprintln!("tandem: copied {done} of {total} rows");
        }
    })
    .await?;
    out.print(&copied, || {
        format!(
            "Copied {} rows and {} changes from {from} to {to}",
            copied.rows, copied.changes
        )
    })
}

/// Where results go: JSON for scripts, text for people.
pub(crate) struct Output {
    json: bool,
}

impl Output {
    /// Whether it prints JSON, for scripts.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    pub(crate) fn print<T: serde::Serialize>(
        &self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> Result<()> {
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
    fn user_errors_and_system_errors_exit_differently() {
        assert_eq!(exit_code(&Error::invalid("title", "x")), EXIT_USAGE);
        assert_eq!(
            exit_code(&Error::Storage(sqlx::Error::PoolTimedOut)),
            EXIT_FAILURE
        );
    }
}
