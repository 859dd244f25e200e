// Typed calls to the backend's commands. Every request and reply type is generated from Rust.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Comment } from "../bindings/Comment";
import type { Queueing } from "../bindings/Queueing";
import type { CommentCount } from "../bindings/CommentCount";
import type { ArchiveTasks } from "../bindings/ArchiveTasks";
import type { Batch } from "../bindings/Batch";
import type { CannotOpen } from "../bindings/CannotOpen";
import type { Board } from "../bindings/Board";
import type { BoardTask } from "../bindings/BoardTask";
import type { ChooseFile } from "../bindings/ChooseFile";
import type { CommandError } from "../bindings/CommandError";
import type { CreateTask } from "../bindings/CreateTask";
import type { DatabaseStatus } from "../bindings/DatabaseStatus";
import type { LinkStatus } from "../bindings/LinkStatus";
import type { DeleteTask } from "../bindings/DeleteTask";
import type { Entity } from "../bindings/Entity";
import type { ExportRequest } from "../bindings/ExportRequest";
import type { Found } from "../bindings/Found";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { ImportPreview } from "../bindings/ImportPreview";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportRequest } from "../bindings/ImportRequest";
import type { Mutation } from "../bindings/Mutation";
import type { MoveTask } from "../bindings/MoveTask";
import type { Project } from "../bindings/Project";
import type { ProjectId } from "../bindings/ProjectId";
import type { RenameTask } from "../bindings/RenameTask";
import type { SearchHit } from "../bindings/SearchHit";
import type { SearchRequest } from "../bindings/SearchRequest";
import type { Settings } from "../bindings/Settings";
import type { SettingsView } from "../bindings/SettingsView";
import type { Status } from "../bindings/Status";
import type { Person } from "../bindings/Person";
import type { Member } from "../bindings/Member";
import type { MembersView } from "../bindings/MembersView";
import type { Role } from "../bindings/Role";
import type { Task } from "../bindings/Task";
import type { Told } from "../bindings/Told";
import type { Look } from "../bindings/Look";
import type { Presence } from "../bindings/Presence";
import type { TaskId } from "../bindings/TaskId";

export const api = {
  projects: () => invoke<Project[]>("projects"),
  board: (project_id: ProjectId) => invoke<Board>("board", { project_id }),
  /** Shows a project in this window: its board now, and every later change to `onBatch`. */
  subscribe: (project_id: ProjectId, onBatch: (batch: Batch) => void) => {
    const channel = new Channel<Batch>();
    channel.onmessage = onBatch;
    return invoke<Board>("subscribe", { project_id, channel });
  },
  changesSince: (since: number, project_id: ProjectId) =>
    invoke<Batch>("changes_since", { since, project_id }),
  openWindow: () => invoke<null>("window_open"),
  status: () => invoke<Status>("status"),
  /** Who the user is on this database. */
  me: () => invoke<Person>("me"),
  /** Everyone the board knows. */
  people: () => invoke<Person[]>("people"),
  /** A project's members, for its Members panel. */
  members: (project_id: ProjectId) => invoke<MembersView>("members", { project_id }),
  /** Makes someone a member with `role`, or changes their role. */
  setMember: (project_id: ProjectId, login: string, role: Role) =>
    invoke<Member>("member_set", { project_id, login, role }),
  /** Takes someone off a project. */
  removeMember: (project_id: ProjectId, login: string) =>
    invoke<null>("member_remove", { project_id, login }),
  /** Tells the backend how long this window's latest changes took from commit to applied. */
  reportLatencies: (samples_ms: number[]) => invoke<null>("window_latency", { samples_ms }),
  settings: () => invoke<SettingsView>("settings"),
  /** Saves the settings; they apply at once in every window of this instance. */
  saveSettings: (settings: Settings) => invoke<SettingsView>("settings_set", { settings }),
  /** Calls `handler` whenever the settings in force change (here, or in another instance). */
  onSettings: (handler: (view: SettingsView) => void) =>
    listen<SettingsView>("settings", (event) => handler(event.payload)),
  /** Calls `handler` with the projects, in order, whenever any project changes. */
  onProjects: (handler: (projects: Project[]) => void) =>
    listen<Project[]>("projects", (event) => handler(event.payload)),
  /** Looks at a file or a server URL and says what it holds, changing nothing. */
  checkDatabase: (database: string) => invoke<Found>("database_check", { database }),
  /** Starts Tandem again, on the database the settings choose. */
  restart: () => invoke<null>("app_restart"),
  /** Opens the folder holding the database in the file manager. */
  revealDatabase: () => invoke<null>("reveal_database"),
  /** Opens a web or mail link from a card's text in the desktop's browser or mail program. */
  openLink: (url: string) => invoke<null>("link_open", { url }),
  /** Opens the folder of the app's log files in the file manager. */
  revealLogs: () => invoke<null>("reveal_logs"),
  /** Calls `handler` whenever this instance's link to the others changes. */
  onLink: (handler: (link: LinkStatus) => void) =>
    listen<LinkStatus>("link", (event) => handler(event.payload)),
  onDatabase: (handler: (database: DatabaseStatus) => void) =>
    listen<DatabaseStatus>("database", (event) => handler(event.payload)),
  createTask: (request: CreateTask) => invoke<Task>("task_create", { request }),
  renameTask: (request: RenameTask) => invoke<Task>("task_rename", { request }),
  moveTask: (request: MoveTask) => invoke<Task>("task_move", { request }),
  /** Moves a task to a column of another project, with its checklist and labels. */
  transferTask: (request: MoveTask) => invoke<Task>("task_transfer", { request }),
  deleteTask: (request: DeleteTask) => invoke<null>("task_delete", { request }),
  /** Archives tasks, or brings them back to their columns: all of them, or none. */
  archiveTasks: (request: ArchiveTasks) => invoke<Task[]>("tasks_archive", { request }),
  /** A project's archived tasks, the latest archived first. */
  archivedTasks: (project_id: ProjectId) => invoke<BoardTask[]>("archived_tasks", { project_id }),
  /** Any other edit; answers with the entity as it now is, or `null` when it is gone. */
  apply: (mutation: Mutation, mutation_id: string) =>
    invoke<Entity | null>("apply", { mutation, mutation_id }),
  /** What waits in this machine's outbox for the board's server, and what it refused. */
  outbox: () => invoke<Queueing[]>("outbox"),
  /** Makes refused change `number` anew over what is there now ("keep mine"). */
  outboxKeepMine: (number: number) => invoke<Entity | null>("outbox_keep_mine", { number }),
  /** Forgets change `number`: a refused one ("keep theirs"), or one still waiting. */
  outboxDrop: (number: number) => invoke<null>("outbox_drop", { number }),
  /** The cards that hold every word of `request.text`, best first. */
  search: (request: SearchRequest) => invoke<SearchHit[]>("search", { request }),
  /** A task whole, with its description (a board's cards leave it out). */
  task: (id: TaskId) => invoke<Task>("task", { id }),
  taskHistory: (id: TaskId) => invoke<HistoryEntry[]>("task_history", { id }),
  comments: (task_id: TaskId) => invoke<Comment[]>("comments", { task_id }),
  /** How many comments each of `task_ids` has; those with none are left out. */
  commentCounts: (task_ids: TaskId[]) => invoke<CommentCount[]>("comment_counts", { task_ids }),
  /** The person's news (a team's server), the latest first, in words: unread, or all. */
  inbox: (all: boolean) => invoke<Told[]>("inbox", { all }),
  /** Marks news read on every machine: `ids`, or every unread item when empty. */
  readInbox: (ids: string[]) => invoke<number>("inbox_read", { ids }),
  /** Calls `handler` whenever the person's news changes (here or on another machine). */
  onInbox: (handler: () => void) => listen<null>("inbox", () => handler()),
  /** Tells the server what this window shows, for who is here (a team's server). */
  presenceLook: (look: Look) => invoke<null>("presence_look", { look }),
  /** Says the person did something in this window: this copy of Tandem is where they are. */
  presenceActive: () => invoke<null>("presence_active"),
  /** Calls `handler` with every window open on the person's projects, whenever it changes. */
  onPresence: (handler: (here: Presence[]) => void) =>
    listen<Presence[]>("presence", (event) => handler(event.payload)),
  /** Whether the person watches every card of a project (a team's server). */
  watchingProject: (project_id: ProjectId) => invoke<boolean>("watching_project", { project_id }),
  /** Watches every card of a project, or stops; answers whether the person now does. */
  watchProject: (project_id: ProjectId, on: boolean) =>
    invoke<boolean>("watch_project", { project_id, on }),
  /** Whether the person watches a card (a team's server). */
  watching: (task_id: TaskId) => invoke<boolean>("watching", { task_id }),
  /** Watches a card, or stops; answers whether the person now watches it. */
  watch: (task_id: TaskId, on: boolean) => invoke<boolean>("watch", { task_id, on }),
  /** What importing a file would do, checked whole and written nowhere. */
  importPreview: (request: ImportRequest) => invoke<ImportPreview>("import_preview", { request }),
  /** Imports a file in one write, telling `onProgress` how far it has come; answers the cards. */
  importRun: (request: ImportRequest, onProgress: (progress: ImportProgress) => void) => {
    const progress = new Channel<ImportProgress>();
    progress.onmessage = onProgress;
    return invoke<number>("import_run", { request, progress });
  },
  /** Writes the board to a file; answers how many cards it wrote. */
  exportRun: (request: ExportRequest) => invoke<number>("export_run", { request }),
  /** The desktop's file chooser; `null` when the user cancels. */
  chooseFile: (request: ChooseFile) => invoke<string | null>("choose_file", { request }),
  /** Calls `handler` with the window's menu item the user chose ("import", "export"). */
  onMenu: (handler: (item: string) => void) =>
    listen<string>("menu", (event) => handler(event.payload)),
};

/** Whether a rejection is one of the backend's typed errors. */
/** The window shown when the board could not be opened at start (`?cannot-open`). */
export const cannotOpen = {
  /** Why the board is not open, as last tried. */
  state: () => invoke<CannotOpen>("cannot_open"),
  /** Tries again now; the answer comes to `onTried`, or as Tandem starting anew on the board. */
  retry: () => invoke<null>("cannot_open_retry"),
  /** Forgets the board chosen in the settings; Tandem starts anew on the default one. */
  useDefault: () => invoke<null>("cannot_open_use_default"),
  quit: () => invoke<null>("cannot_open_quit"),
  /** Calls `handler` after every try that still could not open the board. */
  onTried: (handler: (state: CannotOpen) => void) =>
    listen<CannotOpen>("cannot-open", (event) => handler(event.payload)),
};

export function isCommandError(error: unknown): error is CommandError {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as CommandError).code === "string" &&
    typeof (error as CommandError).message === "string"
  );
}

/** A sentence for the user about a failed call. */
export function describe(error: unknown): string {
  if (isCommandError(error)) return sentence(error.message);
  if (error instanceof Error) return sentence(error.message);
  if (typeof error === "string") return sentence(error);
  return "Something went wrong.";
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return "Something went wrong.";
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A fresh id a window puts on a change so it can recognise the echo. */
export function mutationId(): string {
  return crypto.randomUUID();
}
