//! The commands that edit the board: tasks, subtasks, projects, columns and labels.
//!
//! Things are named as a user types them: projects, columns and labels by name (ignoring case)
//! or id, tasks and subtasks by id. A command reads the version it changes just before it
//! writes, so a terminal never trips over its own stale view; the store's rules are the same
//! as for a window.

use std::collections::HashMap;

use clap::{ArgGroup, Args, Subcommand};

use super::Output;
use crate::error::{Error, Result};
use crate::history;
use crate::model::{
    Board, BoardTask, Column, ColumnId, Comment, CommentId, Label, LabelId, Mutation, Origin,
    Priority, Project, ProjectId, QueueState, SeenTask, Subtask, SubtaskId, Task, TaskId,
};
use crate::store::{Step, Store};
use crate::validate;

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
    /// Change a task's title, description, priority or due date.
    #[command(group(ArgGroup::new("due_date").args(["due", "no_due"])))]
    Edit {
        /// The task's id.
        id: String,
        #[arg(long)]
        title: Option<String>,
        /// Plain text; `\n` in a shell's $'...' string makes a line break.
        #[arg(long)]
        description: Option<String>,
        /// none, low, medium, high or urgent.
        #[arg(long, value_parser = parse_priority)]
        priority: Option<Priority>,
        /// The due date, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        /// Remove the due date.
        #[arg(long)]
        no_due: bool,
    },
    /// Show a task: its fields, labels and checklist.
    Show {
        /// The task's id.
        id: String,
    },
    /// List a project's tasks, column by column.
    Ls {
        #[command(flatten)]
        project: ProjectArg,
        /// The project's archived tasks instead, the latest archived first.
        #[arg(long)]
        archived: bool,
        /// Only the tasks you are on.
        #[arg(long, conflicts_with_all = ["archived", "assignee"])]
        mine: bool,
        /// Only the tasks this person (a login) is on.
        #[arg(long, value_name = "LOGIN", conflicts_with = "archived")]
        assignee: Option<String>,
    },
    /// Move a task to a column at an index, or one step: to the next or previous column, up or
    /// down.
    #[command(group(ArgGroup::new("to").required(true).args(["column", "next", "prev", "up", "down"])))]
    Move {
        /// The task's id.
        id: String,
        /// The column's name or id, in the task's project (or in --to-project's).
        #[arg(long)]
        column: Option<String>,
        /// Another project to move the task to, with its checklist and labels (name or id).
        #[arg(long, value_name = "PROJECT", requires = "column")]
        to_project: Option<String>,
        /// Where in the column, counting from 0 at the top [default: the bottom].
        #[arg(long, allow_negative_numbers = true, requires = "column")]
        index: Option<i64>,
        /// To the bottom of the next column.
        #[arg(long)]
        next: bool,
        /// To the bottom of the previous column.
        #[arg(long)]
        prev: bool,
        /// One place up in its column.
        #[arg(long)]
        up: bool,
        /// One place down in its column.
        #[arg(long)]
        down: bool,
    },
    /// Move a task to the bottom of its project's last column.
    Done {
        /// The task's id.
        id: String,
    },
    /// Take tasks off the board, keeping them with their history: `unarchive` brings them
    /// back. Several ids are archived together or not at all.
    Archive {
        /// The tasks' ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Bring archived tasks back, each where it stood in its column (at the bottom when another
    /// card took that place).
    Unarchive {
        /// The tasks' ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Remove a task for good.
    Rm {
        /// The task's id.
        id: String,
    },
    /// Put labels (names or ids, of the task's project) on a task.
    Label {
        /// The task's id.
        id: String,
        #[arg(required = true)]
        labels: Vec<String>,
    },
    /// Take labels off a task.
    Unlabel {
        /// The task's id.
        id: String,
        #[arg(required = true)]
        labels: Vec<String>,
    },
    /// Put people (logins) on a task: on a team's board, members of its project. Prints who is
    /// on it.
    Assign {
        /// The task's id.
        id: String,
        #[arg(required = true)]
        logins: Vec<String>,
    },
    /// Take people off a task. Prints who is still on it.
    Unassign {
        /// The task's id.
        id: String,
        #[arg(required = true)]
        logins: Vec<String>,
    },
    /// Watch a task on a team's server: news of its comments, moves and archiving comes to
    /// your inbox (`tandem inbox`).
    Watch {
        /// The task's id.
        id: String,
    },
    /// Stop watching a task, whatever made you watch it.
    Unwatch {
        /// The task's id.
        id: String,
    },
    /// A task's timeline: what changed, who changed it (window, copy of Tandem, command line or
    /// another program) and when.
    History {
        /// The task's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubtaskCommand {
    /// Add an item at the bottom of a task's checklist; prints its id.
    Add {
        /// The task's id.
        task: String,
        title: String,
    },
    /// Give an item a new title.
    Rename { id: String, title: String },
    /// Check an item off.
    Check { id: String },
    /// Check an item back on.
    Uncheck { id: String },
    /// Move an item to an index in its checklist (0 is the top).
    Move {
        id: String,
        #[arg(long, allow_negative_numbers = true)]
        index: i64,
    },
    /// Remove an item.
    Rm { id: String },
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Mark news read, on every machine: these items (by id), or every unread one.
    Read {
        /// The items' ids [default: every unread one].
        ids: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Make refused changes anew over what is there now ("keep mine"): these (by number), or
    /// every refused one.
    Retry { numbers: Vec<i64> },
    /// Forget change N: a refused one, or one still waiting (then it is never sent).
    Drop { number: i64 },
}

#[derive(Debug, Subcommand)]
pub enum CommentCommand {
    /// Add a comment (Markdown) to a task's conversation; prints its id.
    Add {
        /// The task's id.
        task: String,
        /// The comment, or `-` to read it from standard input.
        text: String,
    },
    /// List a task's comments, oldest first.
    Ls {
        /// The task's id.
        task: String,
    },
    /// Change one of your comments (it shows as edited).
    Edit {
        /// The comment's id.
        id: String,
        /// The new text, or `-` to read it from standard input.
        text: String,
    },
    /// Delete a comment: one of yours, or any as the project's owner.
    Rm {
        /// The comment's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// List the projects, in order.
    Ls,
    /// Add a project (with To do, Doing and Done columns); prints its id.
    Add { name: String },
    /// Rename a project.
    Rename {
        /// The project's name or id.
        project: String,
        name: String,
    },
    /// Move a project to an index among the others (0 is the first).
    Move {
        /// The project's name or id.
        project: String,
        #[arg(long, allow_negative_numbers = true)]
        index: i64,
    },
    /// Watch every card of a project on a team's server (a card you unwatch stays unwatched).
    Watch {
        /// The project's name or id.
        project: String,
    },
    /// Stop watching a project as a whole.
    Unwatch {
        /// The project's name or id.
        project: String,
    },
    /// Delete a project with all its columns, tasks and labels.
    Rm {
        /// The project's name or id.
        project: String,
        /// Yes, delete it and everything on it.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ColumnCommand {
    /// List a project's columns, in order, with their task counts and limits.
    Ls {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Add a column; prints its id.
    Add {
        name: String,
        #[command(flatten)]
        project: ProjectArg,
        /// Where among the columns, counting from 0 [default: last].
        #[arg(long, allow_negative_numbers = true)]
        index: Option<i64>,
    },
    /// Rename a column.
    Rename {
        /// The column's name or id.
        column: String,
        name: String,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Set a column's work-in-progress limit (shown when exceeded), or `none`.
    Limit {
        /// The column's name or id.
        column: String,
        /// A number from 1 to 999, or `none`.
        #[arg(value_parser = parse_limit)]
        limit: Limit,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Move a column to an index among the project's columns (0 is the first).
    Move {
        /// The column's name or id.
        column: String,
        #[arg(long, allow_negative_numbers = true)]
        index: i64,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Delete a column. One with tasks needs --tasks-to.
    Rm {
        /// The column's name or id.
        column: String,
        /// The column (name or id) its tasks move to.
        #[arg(long)]
        tasks_to: Option<String>,
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabelCommand {
    /// List a project's labels.
    Ls {
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Add a label; prints its id.
    Add {
        name: String,
        /// The label's colour, #RRGGBB.
        #[arg(long)]
        color: String,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Rename or recolour a label.
    #[command(group(ArgGroup::new("change").required(true).multiple(true).args(["name", "color"])))]
    Edit {
        /// The label's name or id.
        label: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        color: Option<String>,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Delete a label, taking it off every task.
    Rm {
        /// The label's name or id.
        label: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Debug, Args)]
pub struct ProjectArg {
    /// The project's name or id [default: the first project].
    #[arg(long)]
    project: Option<String>,
}

impl ProjectArg {
    async fn resolve(&self, store: &Store) -> Result<Project> {
        match &self.project {
            Some(name) => store.find_project(name).await,
            None => store.first_project().await,
        }
    }
}

/// A WIP limit as typed: a number, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(Option<i64>);

fn parse_limit(text: &str) -> Result<Limit> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    text.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| Error::invalid("limit", format!("{text:?} is not a number or `none`")))
}

fn parse_priority(text: &str) -> Result<Priority> {
    validate::priority("priority", text)
}

pub(super) async fn task(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: TaskCommand,
) -> Result<()> {
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
            let create = Mutation::TaskCreate {
                project_id: project.id,
                column_id,
                title,
                id: None,
            };
            let task: Task = store.change_as(origin, create).await?;
            print_card(store, out, task, |t| t.id.to_string()).await
        }
        TaskCommand::Edit {
            id,
            title,
            description,
            priority,
            due,
            no_due,
        } => {
            let task = store.task(&TaskId(id)).await?;
            let due_date = if no_due { Some(None) } else { due.map(Some) };
            if (&title, &description, &priority, &due_date) == (&None, &None, &None, &None) {
                return Err(Error::invalid(
                    "edit",
                    "say what to change: --title, --description, --priority, --due or --no-due",
                ));
            }
            let edit = Mutation::TaskEdit {
                id: task.id,
                expected_version: task.version,
                title,
                description,
                priority,
                due_date,
            };
            let edited: Task = store.change_as(origin, edit).await?;
            print_card(store, out, edited, |_| String::new()).await
        }
        TaskCommand::Show { id } => {
            let task = store.task(&TaskId(id)).await?;
            let labels = store.task_labels(&task.id).await?;
            let subtasks = store.subtasks(&task.id).await?;
            if out.json() {
                let task = named(store, task).await?;
                let shown =
                    serde_json::json!({ "task": task, "labels": labels, "subtasks": subtasks });
                return out.print(&shown, String::new);
            }
            out.print(&(), || {
                let mut text = format!("{}  {}\n", task.id, task.title);
                text.push_str(&format!("priority  {}\n", priority_name(task.priority)));
                if let Some(due) = &task.due_date {
                    text.push_str(&format!("due       {due}\n"));
                }
                if !labels.is_empty() {
                    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
                    text.push_str(&format!("labels    {}\n", names.join(", ")));
                }
                if !task.description.is_empty() {
                    text.push_str(&format!("\n{}\n", task.description));
                }
                if !subtasks.is_empty() {
                    let done = subtasks.iter().filter(|s| s.done).count();
                    text.push_str(&format!("\nchecklist {done}/{}\n", subtasks.len()));
                    for s in &subtasks {
                        let mark = if s.done { 'x' } else { ' ' };
                        text.push_str(&format!("  [{mark}] {}  {}\n", s.title, s.id));
                    }
                }
                text.trim_end().to_owned()
            })
        }
        TaskCommand::Ls {
            project,
            archived: false,
            mine,
            assignee,
        } => {
            let project = project.resolve(store).await?;
            let board = store.board(&project.id).await?;
            let mut tasks = store.tasks(&project.id).await?;
            let on = match (mine, assignee) {
                (true, _) => Some(store.me().await?.login),
                (false, Some(login)) => Some(crate::validate::login(&login)?),
                (false, None) => None,
            };
            if let Some(login) = on {
                tasks.retain(|t| {
                    board
                        .task_assignees
                        .iter()
                        .any(|a| a.task_id == t.id && a.login == login)
                });
            }
            if out.json() {
                let names = Names::of_board(&project, &board);
                let tasks: Vec<_> = tasks.into_iter().map(|t| names.card(t)).collect();
                return out.print(&tasks, String::new);
            }
            out.print(&(), || listing(&project, &board.columns, &tasks))
        }
        TaskCommand::Ls {
            project,
            archived: true,
            ..
        } => {
            let project = project.resolve(store).await?;
            let tasks = store.archived_tasks(Some(&project.id)).await?;
            if out.json() {
                let mut cards = Vec::with_capacity(tasks.len());
                for task in tasks {
                    cards.push(named(store, task).await?);
                }
                return out.print(&cards, String::new);
            }
            out.print(&(), || {
                let mut text = format!("{} (archived: {})\n", project.name, tasks.len());
                for task in &tasks {
                    let at = task.archived_at.map(when).unwrap_or_default();
                    text.push_str(&format!("  {}  {}  {at}\n", task.id, task.title));
                }
                text.trim_end().to_owned()
            })
        }
        TaskCommand::Archive { ids } => archive(store, origin, out, &ids, true).await,
        TaskCommand::Unarchive { ids } => archive(store, origin, out, &ids, false).await,
        TaskCommand::Move {
            id,
            column,
            to_project,
            index,
            next,
            prev,
            up,
            down,
        } => {
            let task = store.task(&TaskId(id)).await?;
            let step = [
                (next, Step::NextColumn),
                (prev, Step::PreviousColumn),
                (up, Step::Up),
                (down, Step::Down),
            ]
            .into_iter()
            .find_map(|(given, step)| given.then_some(step));
            let moved: Task = match (column, step) {
                (Some(column), _) if to_project.is_some() => {
                    let project = store
                        .find_project(to_project.as_deref().unwrap_or_default())
                        .await?;
                    let column = store.find_column(&project.id, &column).await?;
                    let transfer = Mutation::TaskTransfer {
                        id: task.id,
                        expected_version: task.version,
                        to_column: column.id,
                        to_index: index.unwrap_or(i64::MAX),
                    };
                    store.change_as(origin, transfer).await?
                }
                (Some(column), _) => {
                    let column = store.find_column(&task.project_id, &column).await?;
                    let to = Mutation::TaskMove {
                        id: task.id,
                        expected_version: task.version,
                        to_column: column.id,
                        to_index: index.unwrap_or(i64::MAX),
                    };
                    store.change_as(origin, to).await?
                }
                (None, Some(step)) => {
                    let step = Mutation::TaskStep {
                        id: task.id,
                        expected_version: task.version,
                        step,
                    };
                    store.change_as(origin, step).await?
                }
                (None, None) => return Err(Error::invalid("move", "say where the task goes")),
            };
            print_card(store, out, moved, |_| String::new()).await
        }
        TaskCommand::Done { id } => {
            let task = store.task(&TaskId(id)).await?;
            let board = store.board(&task.project_id).await?;
            let last = board
                .columns
                .last()
                .ok_or_else(|| Error::invalid("column_id", "the task's project has no columns"))?;
            let done = Mutation::TaskMove {
                id: task.id,
                expected_version: task.version,
                to_column: last.id.clone(),
                to_index: i64::MAX,
            };
            let moved: Task = store.change_as(origin, done).await?;
            print_card(store, out, moved, |_| String::new()).await
        }
        TaskCommand::Rm { id } => {
            let task = store.task(&TaskId(id)).await?;
            let delete = Mutation::TaskDelete {
                id: task.id.clone(),
                expected_version: task.version,
            };
            // Named while it is there to name.
            let task = named(store, task).await?;
            store.change(origin, delete).await?;
            out.print(&task, String::new)
        }
        TaskCommand::Label { id, labels } => relabel(store, origin, out, &id, &labels, true).await,
        TaskCommand::Unlabel { id, labels } => {
            relabel(store, origin, out, &id, &labels, false).await
        }
        TaskCommand::Assign { id, logins } => {
            let on = assign(store, origin, &TaskId(id), &logins, true).await?;
            out.print(&on, || on_task(&on))
        }
        TaskCommand::Unassign { id, logins } => {
            let on = assign(store, origin, &TaskId(id), &logins, false).await?;
            out.print(&on, || on_task(&on))
        }
        TaskCommand::Watch { id } => watch(store, origin, out, &TaskId(id), true).await,
        TaskCommand::Unwatch { id } => watch(store, origin, out, &TaskId(id), false).await,
        TaskCommand::History { id } => {
            let timeline = history::timeline(store, &TaskId(id)).await?;
            out.print(&timeline, || {
                let lines: Vec<String> = timeline
                    .iter()
                    .map(|e| format!("{}  {:<28}  {}", when(e.at), e.who, e.what))
                    .collect();
                lines.join("\n")
            })
        }
    }
}

/// Watches task `id` (`on`) or stops, and says which it now is.
async fn watch(store: &Store, origin: &Origin, out: &Output, id: &TaskId, on: bool) -> Result<()> {
    store.watch(origin, id, on).await?;
    let task = store.task(id).await?;
    let watching = store.watching(id).await?;
    out.print(&serde_json::json!({ "watching": watching }), || {
        if watching {
            format!("Watching “{}”", task.title)
        } else {
            format!("Not watching “{}”", task.title)
        }
    })
}

/// Watches project `project` as a whole (`on`) or stops, and says which it now is.
async fn watch_project(
    store: &Store,
    origin: &Origin,
    out: &Output,
    project: &str,
    on: bool,
) -> Result<()> {
    let p = store.find_project(project).await?;
    store.watch_project(origin, &p.id, on).await?;
    out.print(&serde_json::json!({ "watching": on }), || {
        if on {
            format!("Watching every card of {}", p.name)
        } else {
            format!("Not watching {} as a whole", p.name)
        }
    })
}

/// Puts `logins` on task `id` (`on`) or takes them off, and answers with who is on it now. On
/// a server board's copy, while the server is away, each person is a change of their own.
async fn assign(
    store: &Store,
    origin: &Origin,
    id: &TaskId,
    logins: &[String],
    on: bool,
) -> Result<Vec<String>> {
    if store.copy_of().is_none() {
        return if on {
            store.assign(origin, id, logins).await
        } else {
            store.unassign(origin, id, logins).await
        };
    }
    for login in logins {
        let assign = Mutation::TaskAssign {
            id: id.clone(),
            login: validate::login(login)?,
            on,
        };
        store.change(origin, assign).await?;
    }
    store.task_assignees(id).await
}

/// A checklist item ticked (`done`) or not, as it was seen.
fn check(item: Subtask, done: bool) -> Mutation {
    Mutation::SubtaskCheck {
        id: item.id,
        expected_version: item.version,
        done,
    }
}

/// Who is on a task, as the command line says it.
fn on_task(logins: &[String]) -> String {
    if logins.is_empty() {
        "Nobody is on it".to_owned()
    } else {
        format!("On it: {}", logins.join(", "))
    }
}

/// Archives the tasks `ids` (`archived`) or brings them back, in one write.
async fn archive(
    store: &Store,
    origin: &Origin,
    out: &Output,
    ids: &[String],
    archived: bool,
) -> Result<()> {
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        let task = store.task(&TaskId(id.clone())).await?;
        seen.push(SeenTask {
            id: task.id,
            expected_version: task.version,
        });
    }
    let ids: Vec<TaskId> = seen.iter().map(|t| t.id.clone()).collect();
    let archive = Mutation::TasksArchive {
        tasks: seen,
        archived,
    };
    store.change(origin, archive).await?;
    let mut tasks = Vec::with_capacity(ids.len());
    for id in &ids {
        tasks.push(named(store, store.task(id).await?).await?);
    }
    out.print(&tasks, String::new)
}

/// Puts `labels` on task `id`, or takes them off, in one write.
async fn relabel(
    store: &Store,
    origin: &Origin,
    out: &Output,
    id: &str,
    labels: &[String],
    on: bool,
) -> Result<()> {
    let task = store.task(&TaskId(id.to_owned())).await?;
    let mut named = Vec::new();
    for label in labels {
        named.push(store.find_label(&task.project_id, label).await?.id);
    }
    let mut wanted: Vec<_> = store
        .task_labels(&task.id)
        .await?
        .into_iter()
        .map(|l| l.id)
        .filter(|l| on || !named.contains(l))
        .collect();
    if on {
        wanted.extend(named);
    }
    let labels = Mutation::TaskLabels {
        id: task.id.clone(),
        expected_version: task.version,
        label_ids: wanted,
    };
    store.change(origin, labels).await?;
    let now = store.task_labels(&task.id).await?;
    out.print(&now, || {
        let names: Vec<&str> = now.iter().map(|l| l.name.as_str()).collect();
        names.join(", ")
    })
}

pub(super) async fn subtask(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: SubtaskCommand,
) -> Result<()> {
    let item = async |id: String| store.subtask(&SubtaskId(id)).await;
    let done: Subtask = match command {
        SubtaskCommand::Add { task, title } => {
            let add = Mutation::SubtaskAdd {
                task_id: TaskId(task),
                title,
                id: None,
            };
            let added: Subtask = store.change_as(origin, add).await?;
            return out.print(&added, || added.id.to_string());
        }
        SubtaskCommand::Rename { id, title } => {
            let s = item(id).await?;
            let rename = Mutation::SubtaskRename {
                id: s.id,
                expected_version: s.version,
                title,
            };
            store.change_as(origin, rename).await?
        }
        SubtaskCommand::Check { id } => {
            let s = item(id).await?;
            store.change_as(origin, check(s, true)).await?
        }
        SubtaskCommand::Uncheck { id } => {
            let s = item(id).await?;
            store.change_as(origin, check(s, false)).await?
        }
        SubtaskCommand::Move { id, index } => {
            let s = item(id).await?;
            let to = Mutation::SubtaskMove {
                id: s.id,
                expected_version: s.version,
                to_index: index,
            };
            store.change_as(origin, to).await?
        }
        SubtaskCommand::Rm { id } => {
            let s = item(id).await?;
            let delete = Mutation::SubtaskDelete {
                id: s.id.clone(),
                expected_version: s.version,
            };
            store.change(origin, delete).await?;
            s
        }
    };
    out.print(&done, String::new)
}

pub(super) async fn comment(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: CommentCommand,
) -> Result<()> {
    match command {
        CommentCommand::Add { task, text } => {
            let add = Mutation::CommentAdd {
                task_id: TaskId(task),
                body: given(text)?,
                id: None,
            };
            let added: Comment = store.change_as(origin, add).await?;
            out.print(&added, || added.id.to_string())
        }
        CommentCommand::Ls { task } => {
            let thread = store.comments(&TaskId(task)).await?;
            out.print(&thread, || {
                let said: Vec<String> = thread
                    .iter()
                    .map(|c| {
                        let edited = if c.edited_at.is_some() {
                            " (edited)"
                        } else {
                            ""
                        };
                        format!(
                            "{}  {} · {}{edited}\n{}",
                            c.id,
                            c.author,
                            when(c.created_at),
                            indent(&c.body)
                        )
                    })
                    .collect();
                said.join("\n\n")
            })
        }
        CommentCommand::Edit { id, text } => {
            let comment = store.comment(&CommentId(id)).await?;
            let edit = Mutation::CommentEdit {
                id: comment.id,
                expected_version: comment.version,
                body: given(text)?,
            };
            let edited: Comment = store.change_as(origin, edit).await?;
            out.print(&edited, String::new)
        }
        CommentCommand::Rm { id } => {
            let comment = store.comment(&CommentId(id)).await?;
            let delete = Mutation::CommentDelete {
                id: comment.id.clone(),
                expected_version: comment.version,
            };
            store.change(origin, delete).await?;
            out.print(&comment, String::new)
        }
    }
}

/// `tandem inbox`: the person's news, or (`read`) marks it read.
pub(super) async fn inbox(
    store: &Store,
    origin: &Origin,
    out: &Output,
    all: bool,
    command: Option<InboxCommand>,
) -> Result<()> {
    if let Some(url) = store.copy_of() {
        return Err(Error::Offline { host: url.host() });
    }
    if store.dialect() == crate::store::Dialect::Sqlite {
        return Err(Error::invalid(
            "inbox",
            "news is for a team's server: on a file every change is your own",
        ));
    }
    if let Some(InboxCommand::Read { ids }) = command {
        let marked = store.read_news(origin, &ids).await?;
        return out.print(&serde_json::json!({ "read": marked }), || {
            format!("Marked {marked} read")
        });
    }
    // Cards falling due are news once asked for: the server tells each watcher once.
    store.due_news(origin).await?;
    let news = store.news(all).await?;
    let people = store.names().await?;
    let projects = store.project_names().await?;
    out.print(&news, || {
        if news.is_empty() {
            return if all { "No news" } else { "No unread news" }.to_owned();
        }
        let name = |login: &str| {
            people
                .get(login)
                .cloned()
                .unwrap_or_else(|| login.to_owned())
        };
        news.iter()
            .map(|n| {
                let mark = if n.read_at.is_none() { '●' } else { ' ' };
                let project = projects
                    .get(&n.project_id)
                    .map_or(String::new(), |p| format!(" in {p}"));
                format!(
                    "{mark} {}  {}{project}  [{}]",
                    when(n.created_at),
                    crate::inbox::sentence(n, name),
                    n.id
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// `tandem who`: the windows open on the person's projects right now, by person.
pub(super) async fn who(store: &Store, out: &Output, project: Option<&str>) -> Result<()> {
    if store.dialect() == crate::store::Dialect::Sqlite {
        return Err(Error::invalid(
            "who",
            "presence is for a team's server: a file has one person",
        ));
    }
    let only = match project {
        Some(p) => Some(store.find_project(p).await?.id),
        None => None,
    };
    let here: Vec<crate::model::Presence> = store
        .presence()
        .await?
        .into_iter()
        .filter(|p| p.project_id.is_some())
        .filter(|p| only.is_none() || p.project_id == only)
        .collect();
    let projects = store.project_names().await?;
    let mut titles = std::collections::HashMap::new();
    for task in here.iter().filter_map(|p| p.task_id.as_ref()) {
        if !titles.contains_key(task) {
            if let Ok(t) = store.task(task).await {
                titles.insert(task.clone(), t.title);
            }
        }
    }
    out.print(&here, || {
        if here.is_empty() {
            return "Nobody here".to_owned();
        }
        here.iter()
            .map(|p| {
                let project = p
                    .project_id
                    .as_ref()
                    .and_then(|id| projects.get(id))
                    .map_or("?", String::as_str);
                let doing = match (&p.task_id, p.editing.as_deref()) {
                    (Some(task), editing) => {
                        let title = titles.get(task).map_or("a card", String::as_str);
                        match editing {
                            Some(field) => format!("editing the {field} of “{title}”"),
                            None => format!("viewing “{title}”"),
                        }
                    }
                    (None, _) => "on the board".to_owned(),
                };
                format!("{:<16} {project}: {doing}", p.login)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// `text`, or all of standard input when it is `-`.
fn given(text: String) -> Result<String> {
    if text != "-" {
        return Ok(text);
    }
    let mut read = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut read)
        .map_err(|e| Error::invalid("body", format!("cannot read standard input as text: {e}")))?;
    Ok(read)
}

/// `text` with every line indented, under its heading.
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) async fn project(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: ProjectCommand,
) -> Result<()> {
    let project: Project = match command {
        ProjectCommand::Ls => {
            let projects = store.projects().await?;
            return out.print(&projects, || {
                let lines: Vec<String> = projects
                    .iter()
                    .map(|p| format!("{}  {}", p.id, p.name))
                    .collect();
                lines.join("\n")
            });
        }
        ProjectCommand::Add { name } => {
            let add = Mutation::ProjectCreate { name, id: None };
            let added: Project = store.change_as(origin, add).await?;
            return out.print(&added, || added.id.to_string());
        }
        ProjectCommand::Rename { project, name } => {
            let p = store.find_project(&project).await?;
            let rename = Mutation::ProjectRename {
                id: p.id,
                expected_version: p.version,
                name,
            };
            store.change_as(origin, rename).await?
        }
        ProjectCommand::Move { project, index } => {
            let p = store.find_project(&project).await?;
            let to = Mutation::ProjectMove {
                id: p.id,
                expected_version: p.version,
                to_index: index,
            };
            store.change_as(origin, to).await?
        }
        ProjectCommand::Watch { project } => {
            return watch_project(store, origin, out, &project, true).await
        }
        ProjectCommand::Unwatch { project } => {
            return watch_project(store, origin, out, &project, false).await
        }
        ProjectCommand::Rm { project, yes } => {
            let p = store.find_project(&project).await?;
            if !yes {
                let tasks = store.tasks(&p.id).await?.len();
                return Err(Error::invalid(
                    "yes",
                    format!(
                        "deleting {:?} deletes its {tasks} tasks too; add --yes to go ahead",
                        p.name
                    ),
                ));
            }
            let delete = Mutation::ProjectDelete {
                id: p.id.clone(),
                expected_version: p.version,
            };
            store.change(origin, delete).await?;
            p
        }
    };
    out.print(&project, String::new)
}

pub(super) async fn column(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: ColumnCommand,
) -> Result<()> {
    let find = async |project: &ProjectArg, column: &str| {
        let project = project.resolve(store).await?;
        store.find_column(&project.id, column).await
    };
    let column: Column = match command {
        ColumnCommand::Ls { project } => {
            let project = project.resolve(store).await?;
            let board = store.board(&project.id).await?;
            return out.print(&board.columns, || {
                let lines: Vec<String> = board
                    .columns
                    .iter()
                    .map(|c| {
                        let tasks = board.tasks.iter().filter(|t| t.column_id == c.id).count();
                        let limit = c.wip_limit.map(|l| format!(" of {l}")).unwrap_or_default();
                        format!("{}  {} ({tasks}{limit})", c.id, c.name)
                    })
                    .collect();
                lines.join("\n")
            });
        }
        ColumnCommand::Add {
            name,
            project,
            index,
        } => {
            let project = project.resolve(store).await?;
            let add = Mutation::ColumnCreate {
                project_id: project.id,
                name,
                index,
                id: None,
            };
            let added: Column = store.change_as(origin, add).await?;
            return out.print(&added, || added.id.to_string());
        }
        ColumnCommand::Rename {
            column,
            name,
            project,
        } => {
            let c = find(&project, &column).await?;
            let edit = Mutation::ColumnEdit {
                id: c.id,
                expected_version: c.version,
                name: Some(name),
                wip_limit: None,
            };
            store.change_as(origin, edit).await?
        }
        ColumnCommand::Limit {
            column,
            limit: Limit(limit),
            project,
        } => {
            let c = find(&project, &column).await?;
            let edit = Mutation::ColumnEdit {
                id: c.id,
                expected_version: c.version,
                name: None,
                wip_limit: Some(limit),
            };
            store.change_as(origin, edit).await?
        }
        ColumnCommand::Move {
            column,
            index,
            project,
        } => {
            let c = find(&project, &column).await?;
            let to = Mutation::ColumnMove {
                id: c.id,
                expected_version: c.version,
                to_index: index,
            };
            store.change_as(origin, to).await?
        }
        ColumnCommand::Rm {
            column,
            tasks_to,
            project,
        } => {
            let c = find(&project, &column).await?;
            let to = match tasks_to {
                Some(name) => Some(store.find_column(&c.project_id, &name).await?.id),
                None => None,
            };
            let delete = Mutation::ColumnDelete {
                id: c.id.clone(),
                expected_version: c.version,
                tasks_to: to,
            };
            store.change(origin, delete).await?;
            c
        }
    };
    out.print(&column, String::new)
}

pub(super) async fn label(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: LabelCommand,
) -> Result<()> {
    let label = match command {
        LabelCommand::Ls { project } => {
            let project = project.resolve(store).await?;
            let labels = store.board(&project.id).await?.labels;
            return out.print(&labels, || {
                let lines: Vec<String> = labels
                    .iter()
                    .map(|l| format!("{}  {}  {}", l.id, l.color, l.name))
                    .collect();
                lines.join("\n")
            });
        }
        LabelCommand::Add {
            name,
            color,
            project,
        } => {
            let project = project.resolve(store).await?;
            let add = Mutation::LabelCreate {
                project_id: project.id,
                name,
                color,
                id: None,
            };
            let added: Label = store.change_as(origin, add).await?;
            return out.print(&added, || added.id.to_string());
        }
        LabelCommand::Edit {
            label,
            name,
            color,
            project,
        } => {
            let project = project.resolve(store).await?;
            let l = store.find_label(&project.id, &label).await?;
            let edit = Mutation::LabelEdit {
                id: l.id,
                expected_version: l.version,
                name,
                color,
            };
            store.change_as(origin, edit).await?
        }
        LabelCommand::Rm { label, project } => {
            let project = project.resolve(store).await?;
            let l = store.find_label(&project.id, &label).await?;
            let delete = Mutation::LabelDelete {
                id: l.id.clone(),
                expected_version: l.version,
            };
            store.change(origin, delete).await?;
            l
        }
    };
    out.print(&label, String::new)
}

/// The board as text: each column with its tasks under it.
fn listing(project: &Project, columns: &[Column], tasks: &[Task]) -> String {
    let mut text = format!("{}\n", project.name);
    for column in columns {
        let mine: Vec<&Task> = tasks.iter().filter(|t| t.column_id == column.id).collect();
        let limit = column
            .wip_limit
            .map(|l| format!(" of {l}"))
            .unwrap_or_default();
        text.push_str(&format!("  {} ({}{limit})\n", column.name, mine.len()));
        for task in mine {
            text.push_str(&format!("    {}  {}\n", task.id, task.title));
        }
    }
    text.trim_end().to_owned()
}

fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::None => "none",
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

/// A time as a person reads it in a terminal: UTC, to the second.
fn when(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

/// What waits in this machine's outbox for the board's server, and what the server refused.
pub(super) async fn outbox(
    store: &Store,
    origin: &Origin,
    out: &Output,
    command: Option<OutboxCommand>,
) -> Result<()> {
    let file = store.outbox_file().ok_or_else(|| {
        Error::invalid(
            "outbox",
            "a board in a file has no outbox: its changes are written as they are made",
        )
    })?;
    match command {
        None => {}
        Some(OutboxCommand::Drop { number }) => Store::drop_queued(&file, number).await?,
        Some(OutboxCommand::Retry { numbers }) => {
            let refused: Vec<i64> = Store::outbox(&file)
                .await?
                .into_iter()
                .filter(|q| q.state == QueueState::Refused)
                .map(|q| q.number)
                .filter(|n| numbers.is_empty() || numbers.contains(n))
                .collect();
            if let Some(missing) = numbers.iter().find(|n| !refused.contains(n)) {
                return Err(Error::invalid(
                    "number",
                    format!("no change {missing} was refused (tandem outbox lists them)"),
                ));
            }
            for number in refused {
                store.keep_mine(&file, number, origin).await?;
            }
        }
    }
    let entries = Store::outbox(&file).await?;
    out.print(&entries, || {
        if entries.is_empty() {
            return "Nothing waits: every change made here is on the server".to_owned();
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|q| match q.state {
                QueueState::Waiting => {
                    format!("{:>4}  {}  waiting  {}", q.number, when(q.made_at), q.what)
                }
                QueueState::Refused => format!(
                    "{:>4}  {}  refused  {}\n      why: {}",
                    q.number,
                    when(q.made_at),
                    q.what,
                    q.reason.as_deref().unwrap_or("not said")
                ),
            })
            .collect();
        lines.join("\n")
    })
}

/// A card as `--json` gives it: its fields, and beside the ids of its project, column and
/// labels, their names, so a script needs no second call to say where a card is.
#[derive(Debug, serde::Serialize)]
struct Named<T> {
    #[serde(flatten)]
    card: T,
    project: String,
    column: String,
    labels: Vec<LabelName>,
}

/// A label on a card: its id and its name.
#[derive(Debug, Clone, serde::Serialize)]
struct LabelName {
    id: LabelId,
    name: String,
}

/// A card's place on the board, for naming it.
trait Placed {
    fn id(&self) -> &TaskId;
    fn project_id(&self) -> &ProjectId;
    fn column_id(&self) -> &ColumnId;
}

macro_rules! placed {
    ($($card:ty),*) => {$(
        impl Placed for $card {
            fn id(&self) -> &TaskId {
                &self.id
            }
            fn project_id(&self) -> &ProjectId {
                &self.project_id
            }
            fn column_id(&self) -> &ColumnId {
                &self.column_id
            }
        }
    )*};
}

placed!(Task, BoardTask);

/// `card` with its project's, column's and labels' names, read for it alone.
async fn named<T: Placed>(store: &Store, card: T) -> Result<Named<T>> {
    let project = store.find_project(&card.project_id().0).await?.name;
    let column = store
        .find_column(card.project_id(), &card.column_id().0)
        .await?
        .name;
    let labels = store
        .task_labels(card.id())
        .await?
        .into_iter()
        .map(|l| LabelName {
            id: l.id,
            name: l.name,
        })
        .collect();
    Ok(Named {
        card,
        project,
        column,
        labels,
    })
}

/// Prints `task`: named, as JSON; as `text` says, else.
async fn print_card(
    store: &Store,
    out: &Output,
    task: Task,
    text: impl FnOnce(&Task) -> String,
) -> Result<()> {
    if out.json() {
        out.print(&named(store, task).await?, String::new)
    } else {
        out.print(&(), || text(&task))
    }
}

/// The names of one project's board, for naming many of its cards at once.
struct Names {
    project: String,
    columns: HashMap<ColumnId, String>,
    labels: HashMap<TaskId, Vec<LabelName>>,
}

impl Names {
    fn of_board(project: &Project, board: &Board) -> Names {
        let label_names: HashMap<&LabelId, &str> = board
            .labels
            .iter()
            .map(|l| (&l.id, l.name.as_str()))
            .collect();
        let mut labels: HashMap<TaskId, Vec<LabelName>> = HashMap::new();
        for on in &board.task_labels {
            if let Some(name) = label_names.get(&on.label_id) {
                labels
                    .entry(on.task_id.clone())
                    .or_default()
                    .push(LabelName {
                        id: on.label_id.clone(),
                        name: (*name).to_owned(),
                    });
            }
        }
        Names {
            project: project.name.clone(),
            columns: board
                .columns
                .iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect(),
            labels,
        }
    }

    fn card<T: Placed>(&self, card: T) -> Named<T> {
        Named {
            project: self.project.clone(),
            column: self
                .columns
                .get(card.column_id())
                .cloned()
                .unwrap_or_default(),
            labels: self.labels.get(card.id()).cloned().unwrap_or_default(),
            card,
        }
    }
}
