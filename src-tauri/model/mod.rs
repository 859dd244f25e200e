//! The board's entities as the user knows them, and the types that cross the IPC boundary.
//!
//! Field names are the database's column names and the change log's JSON keys, so a row, a
//! change's `data` and the TypeScript type all read alike. Times are Unix milliseconds.

pub mod plain;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use ts_rs::TS;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, TS)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// The id of what a write by `origin` makes: the one it brings, which must be a
            /// UUID, or a fresh one.
            pub fn made_by(origin: &Origin) -> crate::error::Result<Self> {
                match &origin.made {
                    None => Ok(Self::new()),
                    Some(id) => uuid::Uuid::parse_str(id)
                        .map(|id| Self(id.hyphenated().to_string()))
                        .map_err(|_| crate::error::Error::invalid("id", "must be a UUID")),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// Identifies a project.
    ProjectId
);
id_type!(
    /// Identifies a column within a project.
    ColumnId
);
id_type!(
    /// Identifies a task.
    TaskId
);
id_type!(
    /// Identifies a comment on a task.
    CommentId
);
id_type!(
    /// Identifies a subtask of a task.
    SubtaskId
);
id_type!(
    /// Identifies a label of a project.
    LabelId
);

/// A board: columns of tasks, with its own labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    /// Sort key among projects; sparse so a reorder rewrites one row.
    pub position: i64,
    /// Bumped by every update; callers send the version they saw to detect conflicts.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Someone who works on the board: on a server, a PostgreSQL login (the server vouches for
/// it); on a file, the operating system's login. Each person edits only their own record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Person {
    pub login: String,
    /// What windows, history and announcements call them.
    pub name: String,
    /// The colour of their initials, `#rrggbb`.
    pub color: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a member may do in a project, from most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads, and comments once comments exist.
    Commenter,
    /// Changes cards, columns, labels and checklists.
    Editor,
    /// Everything: the project's name, its members, deleting it.
    Owner,
}

/// A person's membership of a project (team boards).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Member {
    pub project_id: ProjectId,
    pub login: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an item of news tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NewsKind {
    /// Someone put the person on a card.
    Assigned,
    /// Someone mentioned them (`@login`) in a comment or a description.
    Mentioned,
    /// Someone commented on a card they watch.
    Commented,
    /// A card they watch went to another column.
    Moved,
    /// A card they watch was archived.
    Archived,
    /// A card they watch is due by tomorrow.
    Due,
}

/// An item of a person's news, kept on the server; only they can read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct News {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: NewsKind,
    pub project_id: ProjectId,
    pub task_id: TaskId,
    /// The login of who did it; none for a card falling due.
    pub actor: Option<String>,
    /// The card's title when it happened.
    pub title: String,
    /// The column a card went to.
    pub column: Option<String>,
    /// The start of the comment or description that mentions them, or of the comment.
    pub excerpt: Option<String>,
    /// The due date of a card falling due.
    pub due: Option<String>,
    pub created_at: i64,
    /// When they read it; none while unread.
    pub read_at: Option<i64>,
}

/// An item of news as a window shows it: in words, with its project's name (none for a
/// project the person no longer sees).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Told {
    pub news: News,
    pub said: String,
    pub project: Option<String>,
}

/// What someone is writing in a card they have open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Editing {
    Title,
    Description,
    Comment,
}

/// What one window shows, as its copy of Tandem tells a team's server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Look {
    pub project_id: Option<ProjectId>,
    /// The card open in it.
    pub task_id: Option<TaskId>,
    /// What is being written in that card.
    pub editing: Option<Editing>,
}

/// A window someone has open right now, somewhere, as the server says (visible only to the
/// members of its project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Presence {
    pub login: String,
    /// The copy of Tandem it is in.
    pub instance: String,
    pub window_label: String,
    pub project_id: Option<ProjectId>,
    pub task_id: Option<TaskId>,
    /// `title`, `description` or `comment`: what is being written in the card.
    pub editing: Option<String>,
    /// When its person last did something in that copy of Tandem (its own row, `window_label`
    /// empty); the server's milliseconds.
    pub active_at: i64,
}

/// A project's members as its Members panel shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MembersView {
    /// Whether the database enforces members and roles: a team's server does; a file does not
    /// (its permissions decide who may open it).
    pub enforced: bool,
    /// The project's members, owners first.
    pub members: Vec<Member>,
    /// Everyone the board knows, whom an owner may add.
    pub people: Vec<Person>,
}

/// A stage of work within a project ("To do", "Doing", "Done").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Column {
    pub id: ColumnId,
    pub project_id: ProjectId,
    pub name: String,
    pub position: i64,
    /// The most tasks the column should hold; shown when exceeded, never enforced.
    pub wip_limit: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

/// A card on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub column_id: ColumnId,
    pub title: String,
    /// Plain text; line breaks are kept.
    pub description: String,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    /// A calendar date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Sort key within the column; sparse so a move rewrites one row.
    pub position: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the task was archived (Unix milliseconds); `None` while it is on the board. An
    /// archived task keeps its column, checklist, labels and history.
    #[serde(default)]
    pub archived_at: Option<i64>,
}

/// A task as a board draws it: everything but its description, which only the task's details
/// show (the `task` command reads it). A board of long descriptions costs a window only what
/// its cards show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct BoardTask {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub column_id: ColumnId,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    /// A calendar date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// Sort key within the column.
    pub position: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether the task has a description: the card shows a mark.
    pub has_description: bool,
    /// When the task was archived; `None` for every card on a board.
    pub archived_at: Option<i64>,
}

impl From<Task> for BoardTask {
    fn from(task: Task) -> BoardTask {
        BoardTask {
            has_description: !task.description.is_empty(),
            id: task.id,
            project_id: task.project_id,
            column_id: task.column_id,
            title: task.title,
            priority: task.priority,
            due_date: task.due_date,
            position: task.position,
            version: task.version,
            created_at: task.created_at,
            updated_at: task.updated_at,
            archived_at: task.archived_at,
        }
    }
}

/// A checklist item of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Subtask {
    pub id: SubtaskId,
    pub task_id: TaskId,
    pub title: String,
    pub done: bool,
    pub position: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A coloured tag, defined per project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Label {
    pub id: LabelId,
    pub project_id: ProjectId,
    pub name: String,
    /// `#RRGGBB`.
    pub color: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// That a label is on a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct TaskLabel {
    pub task_id: TaskId,
    pub label_id: LabelId,
}

/// That a person is on a task: a login of the project's (on a file, a name the board knows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct TaskAssignee {
    pub task_id: TaskId,
    pub login: String,
}

/// One comment in a card's conversation: Markdown, by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct Comment {
    pub id: CommentId,
    pub task_id: TaskId,
    /// The login of who wrote it (on a server, the database's own word for who that was).
    pub author: String,
    pub body: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When it was last edited; `None` as written.
    pub edited_at: Option<i64>,
}

/// How many comments a card has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct CommentCount {
    pub task_id: TaskId,
    pub count: i64,
}

/// Any versioned entity, tagged with its kind; carried by a `Conflict` as the current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "entity", rename_all = "snake_case")]
pub enum Entity {
    Project(Project),
    Column(Column),
    Task(Task),
    Subtask(Subtask),
    Label(Label),
    Comment(Comment),
}

impl Entity {
    pub fn version(&self) -> i64 {
        match self {
            Entity::Project(it) => it.version,
            Entity::Column(it) => it.version,
            Entity::Task(it) => it.version,
            Entity::Subtask(it) => it.version,
            Entity::Label(it) => it.version,
            Entity::Comment(it) => it.version,
        }
    }

    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Project(_) => EntityKind::Project,
            Entity::Column(_) => EntityKind::Column,
            Entity::Task(_) => EntityKind::Task,
            Entity::Subtask(_) => EntityKind::Subtask,
            Entity::Label(_) => EntityKind::Label,
            Entity::Comment(_) => EntityKind::Comment,
        }
    }
}

/// A step of a task to a neighbouring place on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// To the bottom of the next column.
    NextColumn,
    /// To the bottom of the previous column.
    PreviousColumn,
    /// One place up in its column.
    Up,
    /// One place down in its column.
    Down,
}

/// One kind of entity, taken out of what a change answered with.
pub trait OfKind: Sized {
    /// `entity` as this kind; an error when a change answered with another or nothing.
    fn of(entity: Option<Entity>) -> crate::error::Result<Self>;
}

macro_rules! of_kind {
    ($($kind:ident),*) => {$(
        impl OfKind for $kind {
            fn of(entity: Option<Entity>) -> crate::error::Result<Self> {
                match entity {
                    Some(Entity::$kind(it)) => Ok(it),
                    other => Err(crate::error::Error::invalid(
                        "change",
                        format!(
                            "answered with {:?} where a {} was expected",
                            other.map(|e| e.kind()),
                            stringify!($kind).to_lowercase(),
                        ),
                    )),
                }
            }
        }
    )*};
}

of_kind!(Project, Column, Task, Subtask, Label, Comment);

/// The kinds of row the change log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Project,
    Column,
    Task,
    Subtask,
    Label,
    TaskLabel,
    /// A person on a task.
    TaskAssignee,
    /// A comment on a task.
    Comment,
    /// A person's membership of a project, with their role (team boards only).
    Member,
    /// A person's choice to watch a card, or not (team boards only; theirs alone to see).
    Watch,
    /// A person watching a whole project (team boards only; theirs alone to see).
    ProjectWatch,
    /// An item of a person's news (team boards only; theirs alone to see).
    News,
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntityKind::Project => "project",
            EntityKind::Column => "column",
            EntityKind::Task => "task",
            EntityKind::Subtask => "subtask",
            EntityKind::Label => "label",
            EntityKind::TaskLabel => "task label",
            EntityKind::TaskAssignee => "task assignee",
            EntityKind::Comment => "comment",
            EntityKind::Member => "member",
            EntityKind::Watch => "watch",
            EntityKind::ProjectWatch => "project watch",
            EntityKind::News => "news",
        })
    }
}

/// Asks for the cards that hold every word of `text` (see `tandem search`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    pub text: String,
    /// Only this project's cards; every project's when absent.
    #[ts(optional)]
    pub project_id: Option<ProjectId>,
    /// Every word as a prefix, as in a find box while the user types.
    #[ts(optional)]
    pub prefixes: Option<bool>,
    /// The most cards to return [default: 50].
    #[ts(optional)]
    pub limit: Option<u32>,
    /// Archived cards too [default: false].
    #[ts(optional)]
    pub archived: Option<bool>,
}

/// A card that matched a search, with where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow, TS)]
pub struct SearchHit {
    pub task_id: TaskId,
    pub title: String,
    pub project_id: ProjectId,
    /// The project's name.
    pub project: String,
    pub column_id: ColumnId,
    /// The column's name.
    pub column: String,
    /// When the card was archived; `None` for a card on its board.
    pub archived_at: Option<i64>,
}

/// Everything a window needs to draw one project, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Board {
    pub project: Project,
    pub columns: Vec<Column>,
    /// The cards, without their descriptions.
    pub tasks: Vec<BoardTask>,
    pub subtasks: Vec<Subtask>,
    pub labels: Vec<Label>,
    pub task_labels: Vec<TaskLabel>,
    /// Who is on which card.
    pub task_assignees: Vec<TaskAssignee>,
    /// How many comments each card that has any has.
    pub comments: Vec<CommentCount>,
    /// The change log's last seq at the moment of the snapshot: changes after it are news.
    pub seq: i64,
    /// The person's role in the project on a team's server; `None` where nothing is held back
    /// (a file, or the database's owner).
    pub role: Option<Role>,
}

/// What kind of program made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Gui,
    Cli,
    Hub,
}

/// Who made a change. Changes written by other programs (the sqlite3 shell, a sync tool) have
/// no origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Origin {
    /// The process that wrote it; one id per run of Tandem.
    pub instance: String,
    pub actor: Actor,
    /// The window label, for changes made in a window.
    pub window: Option<String>,
    /// The caller's id for the mutation, so a window recognises its own echo.
    pub mutation_id: Option<String>,
    /// For a change a machine queued while offline: which machine, and its number there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub queued: Option<Queued>,
    /// For a change that makes something: the id it is to have, given by whoever asked (a
    /// machine that made it offline, so that what it queued next can name it). A fresh id when
    /// not given. Carried by the change itself, so never written to the log.
    #[serde(skip)]
    #[ts(skip)]
    pub made: Option<String>,
}

/// A queued change's place in its machine's outbox: numbered from 1, without gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Queued {
    pub machine: String,
    pub number: i64,
    /// While it is being queued on this machine: the change itself, as JSON, for the outbox.
    #[serde(skip)]
    #[ts(skip)]
    pub mutation: Option<String>,
}

impl Origin {
    pub fn new(instance: &str, actor: Actor) -> Self {
        Self {
            instance: instance.to_owned(),
            actor,
            window: None,
            mutation_id: None,
            queued: None,
            made: None,
        }
    }

    /// This origin, making something with the id `made` (when given).
    pub fn making(&self, made: Option<&str>) -> Self {
        Self {
            made: made.map(str::to_owned),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Insert,
    Update,
    Delete,
}

/// One row of the change log: one entity changed by one committed transaction.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Change {
    /// Commit order across every process sharing the database file.
    pub seq: i64,
    pub op: Op,
    pub entity: EntityKind,
    pub entity_id: String,
    pub project_id: Option<ProjectId>,
    /// The row after the change (insert, update); kept as the JSON SQLite wrote, never re-parsed.
    #[ts(type = "Record<string, unknown> | null")]
    pub data: Option<Box<RawValue>>,
    /// The changed fields' values before an update, or the whole row before a delete.
    #[ts(type = "Record<string, unknown> | null")]
    pub previous: Option<Box<RawValue>>,
    pub origin: Option<Origin>,
    /// The login of the person who made it, written by the database (on a server, its
    /// `session_user`); `None` for changes by other programs on a file and from before people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub author: Option<String>,
    pub at: i64,
}

/// The changes of the seqs `from_seq..=to_seq`, for one subscriber: coalesced per entity and
/// limited to its scope. The range covers every seq in it, including changes outside the scope or
/// coalesced away, so a subscriber that has applied up to `from_seq - 1` knows it missed nothing.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Batch {
    pub from_seq: i64,
    pub to_seq: i64,
    pub changes: Vec<Change>,
}

/// Asks to add a task to a project, at the bottom of a column (the first when none is given).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CreateTask {
    pub project_id: ProjectId,
    #[ts(optional)]
    pub column_id: Option<ColumnId>,
    pub title: String,
    #[ts(optional)]
    pub mutation_id: Option<String>,
}

/// Asks to give a task a new title.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RenameTask {
    pub id: TaskId,
    pub expected_version: i64,
    pub title: String,
    #[ts(optional)]
    pub mutation_id: Option<String>,
}

/// Asks to move a task to `to_index` among the other tasks of `to_column`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct MoveTask {
    pub id: TaskId,
    pub expected_version: i64,
    pub to_column: ColumnId,
    pub to_index: i64,
    #[ts(optional)]
    pub mutation_id: Option<String>,
}

/// Asks to delete a task.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct DeleteTask {
    pub id: TaskId,
    pub expected_version: i64,
    #[ts(optional)]
    pub mutation_id: Option<String>,
}

/// A task to archive or bring back, as the window saw it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SeenTask {
    pub id: TaskId,
    pub expected_version: i64,
}

/// Asks to archive tasks (`archived`), or to bring them back to their columns: all of them in
/// one write, or none when one was changed meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ArchiveTasks {
    pub tasks: Vec<SeenTask>,
    pub archived: bool,
    #[ts(optional)]
    pub mutation_id: Option<String>,
}

/// Asks the user for a file: one to import, or (`save`) one to export to, named `name` at first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ChooseFile {
    pub save: bool,
    #[ts(optional)]
    pub name: Option<String>,
}

/// Any other edit a window asks for, tagged by `op`. Each takes the version of the entity the
/// window saw, and answers with the entity as it now is (`null` for a deletion).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Mutation {
    /// Changes the given fields of a task; a field left out stays as it is.
    TaskEdit {
        id: TaskId,
        expected_version: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        priority: Option<Priority>,
        /// `null` clears the due date.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        #[ts(optional, type = "string | null")]
        due_date: Option<Option<String>>,
    },
    /// Adds a task at the end of a column (the project's first when left out).
    TaskCreate {
        project_id: ProjectId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        column_id: Option<ColumnId>,
        title: String,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<TaskId>,
    },
    /// Moves a task to `to_index` among the tasks of `to_column`, in its project.
    TaskMove {
        id: TaskId,
        expected_version: i64,
        to_column: ColumnId,
        to_index: i64,
    },
    /// Moves a task to a column of another project, with its checklist and labels.
    TaskTransfer {
        id: TaskId,
        expected_version: i64,
        to_column: ColumnId,
        to_index: i64,
    },
    /// Moves a task one step: to the next or previous column, or up or down in its own.
    TaskStep {
        id: TaskId,
        expected_version: i64,
        step: Step,
    },
    TaskDelete {
        id: TaskId,
        expected_version: i64,
    },
    /// Archives tasks, or brings them back to their columns: all in one write, or none.
    TasksArchive {
        tasks: Vec<SeenTask>,
        archived: bool,
    },
    /// Brings back a deleted project, column, task, checklist item or label, with what its
    /// deletion took along (the undo of a delete).
    Restore {
        entity: EntityKind,
        id: String,
    },
    /// Puts a label on a task (`on`), or takes it off, whatever else changed on the task: it
    /// commutes with every other edit, so it asks for no version. Two windows doing this to
    /// different labels at once both win, as they would not with [`Mutation::TaskLabels`].
    TaskLabel {
        id: TaskId,
        label_id: LabelId,
        on: bool,
    },
    /// Puts a person on a task (`on`), or takes them off. Like [`Mutation::TaskLabel`] it
    /// commutes with every other edit and asks for no version.
    TaskAssign {
        id: TaskId,
        login: String,
        on: bool,
    },
    /// Adds a comment to a task's conversation, by the person who asks.
    CommentAdd {
        task_id: TaskId,
        body: String,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<CommentId>,
    },
    /// Changes the body of one's own comment.
    CommentEdit {
        id: CommentId,
        expected_version: i64,
        body: String,
    },
    /// Deletes a comment: one's own, or any as the project's owner.
    CommentDelete {
        id: CommentId,
        expected_version: i64,
    },
    /// Makes `label_ids` exactly the labels on a task.
    TaskLabels {
        id: TaskId,
        expected_version: i64,
        label_ids: Vec<LabelId>,
    },
    SubtaskAdd {
        task_id: TaskId,
        title: String,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<SubtaskId>,
    },
    SubtaskRename {
        id: SubtaskId,
        expected_version: i64,
        title: String,
    },
    SubtaskCheck {
        id: SubtaskId,
        expected_version: i64,
        done: bool,
    },
    SubtaskMove {
        id: SubtaskId,
        expected_version: i64,
        to_index: i64,
    },
    SubtaskDelete {
        id: SubtaskId,
        expected_version: i64,
    },
    LabelCreate {
        project_id: ProjectId,
        name: String,
        color: String,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<LabelId>,
    },
    LabelEdit {
        id: LabelId,
        expected_version: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        color: Option<String>,
    },
    LabelDelete {
        id: LabelId,
        expected_version: i64,
    },
    ProjectCreate {
        name: String,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<ProjectId>,
    },
    ProjectRename {
        id: ProjectId,
        expected_version: i64,
        name: String,
    },
    ProjectMove {
        id: ProjectId,
        expected_version: i64,
        to_index: i64,
    },
    ProjectDelete {
        id: ProjectId,
        expected_version: i64,
    },
    ColumnCreate {
        project_id: ProjectId,
        name: String,
        /// Where among the columns; last when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        index: Option<i64>,
        /// The id it is to have (a UUID); a fresh one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        id: Option<ColumnId>,
    },
    ColumnEdit {
        id: ColumnId,
        expected_version: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        name: Option<String>,
        /// `null` removes the limit.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        #[ts(optional, type = "number | null")]
        wip_limit: Option<Option<i64>>,
    },
    ColumnMove {
        id: ColumnId,
        expected_version: i64,
        to_index: i64,
    },
    /// Deletes a column; one with tasks needs `tasks_to`, the column they move to.
    ColumnDelete {
        id: ColumnId,
        expected_version: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        tasks_to: Option<ColumnId>,
    },
}

impl Mutation {
    /// The id of what this change makes, when it makes something and says which.
    pub fn made(&self) -> Option<&str> {
        match self {
            Self::TaskCreate { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            Self::CommentAdd { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            Self::SubtaskAdd { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            Self::LabelCreate { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            Self::ProjectCreate { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            Self::ColumnCreate { id, .. } => id.as_ref().map(|id| id.0.as_str()),
            _ => None,
        }
    }

    /// The entity this change edits at a version the person saw, with that version: what a
    /// conflict is about, and what "keep mine" sends again at the version now.
    pub fn seen(&mut self) -> Option<(EntityKind, &str, &mut i64)> {
        use EntityKind as K;
        match self {
            Self::TaskEdit {
                id,
                expected_version,
                ..
            }
            | Self::TaskMove {
                id,
                expected_version,
                ..
            }
            | Self::TaskTransfer {
                id,
                expected_version,
                ..
            }
            | Self::TaskStep {
                id,
                expected_version,
                ..
            }
            | Self::TaskDelete {
                id,
                expected_version,
            }
            | Self::TaskLabels {
                id,
                expected_version,
                ..
            } => Some((K::Task, &id.0, expected_version)),
            Self::CommentEdit {
                id,
                expected_version,
                ..
            }
            | Self::CommentDelete {
                id,
                expected_version,
            } => Some((K::Comment, &id.0, expected_version)),
            Self::SubtaskRename {
                id,
                expected_version,
                ..
            }
            | Self::SubtaskCheck {
                id,
                expected_version,
                ..
            }
            | Self::SubtaskMove {
                id,
                expected_version,
                ..
            }
            | Self::SubtaskDelete {
                id,
                expected_version,
            } => Some((K::Subtask, &id.0, expected_version)),
            Self::LabelEdit {
                id,
                expected_version,
                ..
            }
            | Self::LabelDelete {
                id,
                expected_version,
            } => Some((K::Label, &id.0, expected_version)),
            Self::ProjectRename {
                id,
                expected_version,
                ..
            }
            | Self::ProjectMove {
                id,
                expected_version,
                ..
            }
            | Self::ProjectDelete {
                id,
                expected_version,
            } => Some((K::Project, &id.0, expected_version)),
            Self::ColumnEdit {
                id,
                expected_version,
                ..
            }
            | Self::ColumnMove {
                id,
                expected_version,
                ..
            }
            | Self::ColumnDelete {
                id,
                expected_version,
                ..
            } => Some((K::Column, &id.0, expected_version)),
            Self::TaskCreate { .. }
            | Self::TasksArchive { .. }
            | Self::Restore { .. }
            | Self::TaskLabel { .. }
            | Self::TaskAssign { .. }
            | Self::CommentAdd { .. }
            | Self::SubtaskAdd { .. }
            | Self::LabelCreate { .. }
            | Self::ProjectCreate { .. }
            | Self::ColumnCreate { .. } => None,
        }
    }

    /// What this change does, for a list of what waits: "rename a card to “Ship”".
    pub fn describe(&self) -> String {
        let quoted = |text: &str| {
            let line = text.lines().next().unwrap_or_default();
            let short: String = line.chars().take(60).collect();
            if short.len() < line.len() {
                format!("“{short}…”")
            } else {
                format!("“{short}”")
            }
        };
        match self {
            Self::TaskCreate { title, .. } => format!("add the card {}", quoted(title)),
            Self::TaskEdit {
                title,
                description,
                priority,
                due_date,
                ..
            } => {
                let mut what = Vec::new();
                if let Some(title) = title {
                    what.push(format!("title to {}", quoted(title)));
                }
                if description.is_some() {
                    what.push("description".to_owned());
                }
                if priority.is_some() {
                    what.push("priority".to_owned());
                }
                if due_date.is_some() {
                    what.push("due date".to_owned());
                }
                format!("change a card's {}", what.join(", "))
            }
            Self::TaskMove { .. } | Self::TaskStep { .. } => "move a card".to_owned(),
            Self::TaskTransfer { .. } => "move a card to another project".to_owned(),
            Self::TaskDelete { .. } => "delete a card".to_owned(),
            Self::TasksArchive { tasks, archived } => {
                let cards = if tasks.len() == 1 { "a card" } else { "cards" };
                let how = if *archived { "archive" } else { "bring back" };
                format!("{how} {cards}")
            }
            Self::Restore { entity, .. } => format!("bring back a deleted {entity:?}"),
            Self::TaskLabel { on: true, .. } => "put a label on a card".to_owned(),
            Self::TaskLabel { on: false, .. } => "take a label off a card".to_owned(),
            Self::TaskLabels { .. } => "change a card's labels".to_owned(),
            Self::TaskAssign { login, on, .. } => {
                let how = if *on { "put" } else { "take" };
                let onto = if *on { "on" } else { "off" };
                format!("{how} {login} {onto} a card")
            }
            Self::CommentAdd { body, .. } => format!("comment {}", quoted(body)),
            Self::CommentEdit { body, .. } => format!("edit a comment to {}", quoted(body)),
            Self::CommentDelete { .. } => "delete a comment".to_owned(),
            Self::SubtaskAdd { title, .. } => format!("add the checklist item {}", quoted(title)),
            Self::SubtaskRename { title, .. } => {
                format!("rename a checklist item to {}", quoted(title))
            }
            Self::SubtaskCheck { done: true, .. } => "tick a checklist item".to_owned(),
            Self::SubtaskCheck { done: false, .. } => "untick a checklist item".to_owned(),
            Self::SubtaskMove { .. } => "move a checklist item".to_owned(),
            Self::SubtaskDelete { .. } => "delete a checklist item".to_owned(),
            Self::LabelCreate { name, .. } => format!("add the label {}", quoted(name)),
            Self::LabelEdit { .. } => "change a label".to_owned(),
            Self::LabelDelete { .. } => "delete a label".to_owned(),
            Self::ProjectCreate { name, .. } => format!("add the project {}", quoted(name)),
            Self::ProjectRename { name, .. } => format!("rename a project to {}", quoted(name)),
            Self::ProjectMove { .. } => "move a project".to_owned(),
            Self::ProjectDelete { .. } => "delete a project".to_owned(),
            Self::ColumnCreate { name, .. } => format!("add the column {}", quoted(name)),
            Self::ColumnEdit { .. } => "change a column".to_owned(),
            Self::ColumnMove { .. } => "move a column".to_owned(),
            Self::ColumnDelete { .. } => "delete a column".to_owned(),
        }
    }

    /// Gives what this change makes an id of its own now, when it has none, so that the same
    /// change made again later (sent from an outbox) makes the same thing.
    pub fn name_what_it_makes(&mut self) {
        match self {
            Self::TaskCreate { id, .. } => _ = id.get_or_insert_with(TaskId::new),
            Self::CommentAdd { id, .. } => _ = id.get_or_insert_with(CommentId::new),
            Self::SubtaskAdd { id, .. } => _ = id.get_or_insert_with(SubtaskId::new),
            Self::LabelCreate { id, .. } => _ = id.get_or_insert_with(LabelId::new),
            Self::ProjectCreate { id, .. } => _ = id.get_or_insert_with(ProjectId::new),
            Self::ColumnCreate { id, .. } => _ = id.get_or_insert_with(ColumnId::new),
            _ => {}
        }
    }
}

impl LabelId {
    /// The id of the label a task moving to another project brings there (one of that name
    /// being missing): made from the task, its version and the label it had, so that the same
    /// move made offline and sent later makes the same label as on this machine's copy.
    pub fn brought_by(task: &TaskId, version: i64, from: &LabelId) -> Self {
        match uuid::Uuid::parse_str(&task.0) {
            Ok(task) => {
                let name = format!("{version}/{}", from.0);
                Self(uuid::Uuid::new_v5(&task, name.as_bytes()).to_string())
            }
            Err(_) => Self::new(),
        }
    }
}

impl ColumnId {
    /// The id of column `number` of those a project is created with: made from the project's
    /// own, so that a project made offline and sent later has the same columns as on the copy.
    pub fn of_new_project(project: &ProjectId, number: i64) -> Self {
        match uuid::Uuid::parse_str(&project.0) {
            Ok(project) => Self(uuid::Uuid::new_v5(&project, &number.to_be_bytes()).to_string()),
            Err(_) => Self::new(),
        }
    }
}

/// A change made while the server was away, as this machine's outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Queueing {
    /// Its place in the machine's outbox: the order it was made in.
    pub number: i64,
    pub made_at: i64,
    pub state: QueueState,
    pub mutation: Mutation,
    /// What it does, in words: "rename a card to “Ship”".
    pub what: String,
    /// The card it is about, when it is about one: marked on the board while it waits.
    pub task_id: Option<TaskId>,
    /// Why the server refused it.
    pub reason: Option<String>,
    /// For a change refused as a conflict: the entity as the server had it.
    pub theirs: Option<Entity>,
}

/// Where a change of the outbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// To be sent when the server is back.
    Waiting,
    /// Sent and refused: kept until the person keeps it anew or drops it.
    Refused,
}

/// A field that may be left out (`None`), given as `null` (`Some(None)`) or given a value.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// How one window's live stream is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WindowStatus {
    pub label: String,
    pub batches: u64,
    /// Changes delivered.
    pub changes: u64,
    /// Changes merged into later ones before delivery.
    pub coalesced: u64,
    pub gaps_filled: u64,
    pub resyncs: u64,
    /// Commit→apply latency, as the window measures it; `None` until it has applied a change.
    #[serde(default)]
    pub latency: Option<Latency>,
}

/// Commit→apply latency over a window's latest changes: from the commit in any process to the
/// window showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Latency {
    pub p50_ms: u32,
    pub p99_ms: u32,
    /// How many changes the figures are drawn from.
    pub samples: u32,
}

/// How this instance is doing: the log's end, its link to the other instances, and each
/// window's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Status {
    /// This copy of Tandem's instance id, as changes' origins name it.
    pub instance: String,
    /// The change log's last seq: every change ever committed to this database.
    pub seq: i64,
    pub link: LinkStatus,
    pub database: DatabaseStatus,
    pub windows: Vec<WindowStatus>,
}

/// Whether the database answers. A file always does; a server may be out of reach, and then
/// windows keep the board they have and edits are refused until it is back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DatabaseStatus {
    Online,
    Offline {
        /// The server's host, as the badge names it.
        host: String,
        /// Changes made on this machine's copy of the board, waiting for the server.
        #[serde(default)]
        waiting: i64,
        /// The windows show this machine's copy of the board, and their edits wait in its
        /// outbox; else they show what they last showed, and edits are refused.
        #[serde(default)]
        copy: bool,
        /// The server is back and what waited is being sent (the count goes down).
        #[serde(default)]
        sending: bool,
    },
    /// The server answers but takes no more connections (`max_connections` reached).
    Full {
        /// The server's host, as the badge names it.
        host: String,
    },
}

/// This instance's link to the hub that joins the copies of Tandem on one database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkStatus {
    /// Looking for the hub for the first time.
    Connecting,
    /// Linked: changes from every instance arrive as they are made.
    Live {
        /// The hub's instance id.
        hub: String,
        /// Whether this instance is the hub.
        serving: bool,
        /// Running copies of Tandem on this database, this one included (not CLI commands).
        instances: u32,
    },
    /// The link dropped; trying again. Changes still arrive from the file, a little later.
    Reconnecting,
    /// No socket could be made: changes made elsewhere arrive by watching the file.
    LocalOnly { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(json: &str) -> Option<Option<String>> {
        match serde_json::from_str::<Mutation>(json).expect("a mutation") {
            Mutation::TaskEdit { due_date, .. } => due_date,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_due_date_left_out_stays_null_clears_it_and_a_value_sets_it() {
        let edit = r#"{"op": "task_edit", "id": "t", "expected_version": 1"#;
        assert_eq!(due(&format!("{edit}}}")), None);
        assert_eq!(due(&format!(r#"{edit}, "due_date": null}}"#)), Some(None));
        assert_eq!(
            due(&format!(r#"{edit}, "due_date": "2026-12-24"}}"#)),
            Some(Some("2026-12-24".into()))
        );
    }

    #[test]
    fn an_unknown_op_or_a_missing_field_is_refused() {
        assert!(serde_json::from_str::<Mutation>(r#"{"op": "task_explode", "id": "t"}"#).is_err());
        assert!(
            serde_json::from_str::<Mutation>(r#"{"op": "subtask_add", "title": "x"}"#).is_err()
        );
    }
}

/// A name read from the database that none of an enum's variants has.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} {name:?}")]
pub struct UnknownName {
    kind: &'static str,
    name: String,
}

/// Enums stored as text, under the names serde gives them, so a row, the log's JSON and the
/// TypeScript type all read alike.
macro_rules! stored_as_names {
    ($($ty:ident { $($variant:ident => $name:literal),* $(,)? })*) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownName;

            fn try_from(name: String) -> Result<Self, UnknownName> {
                match name.as_str() {
                    $($name => Ok($ty::$variant),)*
                    _ => Err(UnknownName { kind: stringify!($ty), name }),
                }
            }
        }
    )*};
}

stored_as_names! {
    Priority { None => "none", Low => "low", Medium => "medium", High => "high", Urgent => "urgent" }
    EntityKind {
        Project => "project",
        Column => "column",
        Task => "task",
        Subtask => "subtask",
        Label => "label",
        TaskLabel => "task_label",
        TaskAssignee => "task_assignee",
        Comment => "comment",
        Member => "member",
        Watch => "watch",
        ProjectWatch => "project_watch",
        News => "news",
    }
    Op { Insert => "insert", Update => "update", Delete => "delete" }
    Role { Viewer => "viewer", Commenter => "commenter", Editor => "editor", Owner => "owner" }
    Editing { Title => "title", Description => "description", Comment => "comment" }
    NewsKind {
        Assigned => "assigned",
        Mentioned => "mentioned",
        Commented => "commented",
        Moved => "moved",
        Archived => "archived",
        Due => "due",
    }
}
