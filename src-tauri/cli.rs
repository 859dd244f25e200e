//! The headless command line: the same store and rules as the app, with no window system.
//!
//! Must never touch Tauri or GTK, so it runs over SSH, in cron and in CI. Errors are one line on
//! stderr; the exit code says whose fault it was (2: the input, 1: the system).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config;
use crate::error::{Error, Result};
use crate::model::{Actor, Column, Origin, Project, Task, TaskId};
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
        Error::Storage(_) | Error::Migrate(_) | Error::Window => EXIT_FAILURE,
        Error::NotFound { .. }
        | Error::Conflict { .. }
        | Error::Invalid { .. }
        | Error::Config { .. } => EXIT_USAGE,
    }
}

async fn execute(db: Option<PathBuf>, json: bool, command: Command) -> Result<()> {
    let path = config::db_path(db)?;
    let origin = Origin::new(&uuid::Uuid::now_v7().to_string(), Actor::Cli);
    let store = Store::open(&path, &origin).await?;
    let out = Output { json };
    match command {
        Command::Task(TaskCommand::Add {
            title,
            project,
            column,
        }) => {
            let project = project.resolve(&store).await?;
            let column_id = match column {
                Some(name) => Some(store.find_column(&project.id, &name).await?.id),
                None => None,
            };
            let new = NewTask {
                project_id: project.id,
                column_id,
                title,
            };
            let task = store.create_task(&origin, new).await?;
            out.print(&task, || task.id.to_string())
        }
        Command::Task(TaskCommand::Ls { project }) => {
            let project = project.resolve(&store).await?;
            let board = store.board(&project.id).await?;
            let tasks = store.tasks(&project.id).await?;
            out.print(&tasks, || listing(&project, &board.columns, &tasks))
        }
        Command::Task(TaskCommand::Move { id, column, index }) => {
            let task = store.task(&TaskId(id)).await?;
            let column = store.find_column(&task.project_id, &column).await?;
            let moved = store
                .move_task(
                    &origin,
                    &task.id,
                    task.version,
                    &column.id,
                    index.unwrap_or(i64::MAX),
                )
                .await?;
            out.print(&moved, String::new)
        }
        Command::Task(TaskCommand::Rm { id }) => {
            let task = store.task(&TaskId(id)).await?;
            store.delete_task(&origin, &task.id, task.version).await?;
            out.print(&task, String::new)
        }
    }
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
    fn user_errors_and_system_errors_exit_differently() {
        assert_eq!(exit_code(&Error::invalid("title", "x")), EXIT_USAGE);
        assert_eq!(
            exit_code(&Error::Storage(sqlx::Error::PoolTimedOut)),
            EXIT_FAILURE
        );
    }
}
