// The window's one store: the projects, the board on show, and the notices for the user. Fed
// only by the backend's replies; edits apply at once and are rolled back to the backend's state
// when it refuses them.

import type { Board } from "../bindings/Board";
import type { ColumnId } from "../bindings/ColumnId";
import type { Project } from "../bindings/Project";
import type { ProjectId } from "../bindings/ProjectId";
import type { Task } from "../bindings/Task";
import { api, describe, isCommandError, mutationId } from "./api";
import { provisionalPosition, withTask, withoutTask, type Destination } from "./board";

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

/** How long a notice stays up, in ms. Errors stay until dismissed. */
const INFO_NOTICE_MS = 4000;

class BoardStore {
  projects = $state<Project[]>([]);
  board = $state<Board | null>(null);
  notices = $state<Notice[]>([]);
  loading = $state(true);
  #nextNotice = 1;

  /** Loads the project list and shows `project` (else the one on show, else the first). */
  async load(project?: ProjectId): Promise<void> {
    try {
      this.projects = await api.projects();
      const wanted = project ?? this.board?.project.id;
      const chosen = this.projects.find((p) => p.id === wanted) ?? this.projects[0];
      this.board = chosen ? await api.board(chosen.id) : null;
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  }

  /** Adds a task at the bottom of `column`. Resolves whether it was added. */
  async add(column: ColumnId, title: string): Promise<boolean> {
    const board = this.board;
    if (!board) return false;
    try {
      const task = await api.createTask({
        project_id: board.project.id,
        column_id: column,
        title,
        mutation_id: mutationId(),
      });
      if (this.board) this.board = withTask(this.board, task);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  async rename(task: Task, title: string): Promise<void> {
    if (title.trim() === task.title) return;
    await this.#optimistic({ ...task, title: title.trim() }, () =>
      api.renameTask({
        id: task.id,
        expected_version: task.version,
        title,
        mutation_id: mutationId(),
      }),
    );
  }

  async move(task: Task, dest: Destination): Promise<void> {
    const board = this.board;
    if (!board) return;
    const position = provisionalPosition(board, task.id, dest);
    await this.#optimistic({ ...task, column_id: dest.to_column, position }, () =>
      api.moveTask({
        id: task.id,
        expected_version: task.version,
        to_column: dest.to_column,
        to_index: dest.to_index,
        mutation_id: mutationId(),
      }),
    );
  }

  async remove(task: Task): Promise<void> {
    if (!this.board) return;
    this.board = withoutTask(this.board, task.id);
    try {
      await api.deleteTask({
        id: task.id,
        expected_version: task.version,
        mutation_id: mutationId(),
      });
      this.notify("info", `Deleted “${task.title}”.`);
    } catch (error) {
      this.fail(error);
      await this.load();
    }
  }

  notify(kind: Notice["kind"], text: string): void {
    const id = this.#nextNotice++;
    this.notices = [...this.notices, { id, kind, text }];
    if (kind === "info") setTimeout(() => this.dismiss(id), INFO_NOTICE_MS);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Shows `draft` at once, then the backend's answer; on refusal, the backend's state. */
  async #optimistic(draft: Task, send: () => Promise<Task>): Promise<void> {
    if (!this.board) return;
    // The draft keeps its old version: the backend's answer, one newer, always replaces it.
    this.board = withTask(this.board, draft);
    try {
      const task = await send();
      if (this.board) this.board = withTask(this.board, task);
    } catch (error) {
      this.fail(error);
      await this.load();
    }
  }

  fail(error: unknown): void {
    const text =
      isCommandError(error) && error.code === "conflict"
        ? "Someone changed this card meanwhile; the board now shows their version."
        : describe(error);
    this.notify("error", text);
  }
}

export const store = new BoardStore();
