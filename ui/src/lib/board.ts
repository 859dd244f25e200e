// The board's pure rules on the client: ordering, where keyboard moves go, and applying a task
// the backend returned. No I/O here; the backend stays the authority for every rule.

import type { Board } from "../bindings/Board";
import type { Change } from "../bindings/Change";
import type { Column } from "../bindings/Column";
import type { Comment } from "../bindings/Comment";
import type { CommentCount } from "../bindings/CommentCount";
import type { Entity } from "../bindings/Entity";
import type { ColumnId } from "../bindings/ColumnId";
import type { Label } from "../bindings/Label";
import type { Subtask } from "../bindings/Subtask";
import type { BoardTask } from "../bindings/BoardTask";
import type { Task } from "../bindings/Task";
import type { TaskId } from "../bindings/TaskId";
import type { TaskAssignee } from "../bindings/TaskAssignee";
import type { TaskLabel } from "../bindings/TaskLabel";

/** Each column's tasks, top to bottom, as `indexBoard` gives them. */
export type Lists = ReadonlyMap<ColumnId, readonly BoardTask[]>;

const NO_TASKS: readonly BoardTask[] = [];

function listOf(lists: Lists, column: ColumnId): readonly BoardTask[] {
  return lists.get(column) ?? NO_TASKS;
}

/** Where a task stands: its column's index on the board and its index in that column. */
export function locate(
  columns: readonly Column[],
  lists: Lists,
  task: BoardTask,
): { column: number; index: number } | null {
  const column = columns.findIndex((c) => c.id === task.column_id);
  const index = listOf(lists, task.column_id).findIndex((t) => t.id === task.id);
  return column < 0 || index < 0 ? null : { column, index };
}

export type Direction = "left" | "right" | "up" | "down";

export interface Destination {
  to_column: ColumnId;
  /** The index among the target column's other tasks, as the `task_move` command takes it. */
  to_index: number;
}

/**
 * Where Alt+arrow sends a task: across to the neighbouring column at the same height (clamped),
 * or one place up or down in its own. `null` when it is already at that edge.
 */
export function keyboardDestination(
  columns: readonly Column[],
  lists: Lists,
  task: BoardTask,
  direction: Direction,
): Destination | null {
  const here = locate(columns, lists, task);
  if (!here) return null;
  const column = columns[here.column];
  if (!column) return null;
  const count = listOf(lists, column.id).length;
  switch (direction) {
    case "up":
      return here.index > 0 ? { to_column: column.id, to_index: here.index - 1 } : null;
    case "down":
      return here.index < count - 1 ? { to_column: column.id, to_index: here.index + 1 } : null;
    case "left":
    case "right": {
      const target = columns[here.column + (direction === "left" ? -1 : 1)];
      if (!target) return null;
      const size = listOf(lists, target.id).length;
      return { to_column: target.id, to_index: Math.min(here.index, size) };
    }
  }
}

/**
 * The position a moved task takes locally until the backend's answer arrives: halfway between
 * its new neighbours, as the backend places it. Only the order matters here; the exact number is
 * replaced by the backend's.
 */
export function provisionalPosition(lists: Lists, id: TaskId, dest: Destination): number {
  const others = listOf(lists, dest.to_column).filter((t) => t.id !== id);
  const index = Math.min(dest.to_index, others.length);
  const before = others[index - 1]?.position ?? 0;
  const after = others[index]?.position;
  return after === undefined ? before + 65536 : (before + after) / 2;
}

/** A task as the board keeps it: without its description, which only its details show. */
export function boardTask(task: Task | BoardTask): BoardTask {
  if (!("description" in task)) return task;
  const { description, ...rest } = task;
  return { ...rest, has_description: description !== "" };
}

/**
 * The board with `task` put in (added, or replacing its older self unless that is newer). An
 * archived task leaves the board instead; one back from the archive comes onto it (its
 * checklist and labels never left).
 */
export function withTask(board: Board, whole: Task | BoardTask): Board {
  const task = boardTask(whole);
  const current = board.tasks.find((t) => t.id === task.id);
  if (current && current.version > task.version) return board;
  // Archived, or moved to another project: off this board.
  if (task.archived_at !== null || task.project_id !== board.project.id) {
    return current ? withoutTask(board, task.id) : board;
  }
  const tasks = current
    ? board.tasks.map((t) => (t.id === task.id ? task : t))
    : [...board.tasks, task];
  return { ...board, tasks };
}

/**
 * The board with an entity the backend returned put in, unless the board already holds a newer
 * version of it (a live change may have overtaken the answer).
 */
export function withEntity(board: Board, entity: Entity): Board {
  const fresher = <T extends Keyed & { version: number }>(list: T[], item: T): T[] => {
    const current = list.find((x) => x.id === item.id);
    return current && current.version > item.version ? list : upsert(list, item);
  };
  // The tag says which kind it is; the board's lists hold the rows without it.
  switch (entity.entity) {
    case "task": {
      const { entity: _, ...task } = entity;
      return withTask(board, task);
    }
    case "subtask": {
      const { entity: _, ...subtask } = entity;
      return { ...board, subtasks: fresher(board.subtasks, subtask) };
    }
    case "label": {
      const { entity: _, ...label } = entity;
      return { ...board, labels: fresher(board.labels, label) };
    }
    case "column": {
      const { entity: _, ...column } = entity;
      if (column.project_id !== board.project.id) return board;
      return {
        ...board,
        columns: fresher(board.columns, column).sort((a, b) => a.position - b.position),
      };
    }
    case "project": {
      const { entity: _, ...project } = entity;
      return project.id === board.project.id && project.version >= board.project.version
        ? { ...board, project }
        : board;
    }
    // A card's conversation is read with its details; the board counts comments only.
    case "comment":
      return board;
  }
}

/** `board` with the comment counts of `tasks` as `counts` says (a task it leaves out has
 * none). */
export function withCommentCounts(board: Board, tasks: TaskId[], counts: CommentCount[]): Board {
  const asked = new Set<string>(tasks);
  return {
    ...board,
    comments: [...board.comments.filter((c) => !asked.has(c.task_id)), ...counts],
  };
}

/** A card's conversation with `comment` put in where it was written (oldest first), unless the
 * thread already holds a newer version of it. */
export function withComment(thread: readonly Comment[], comment: Comment): Comment[] {
  const current = thread.find((c) => c.id === comment.id);
  if (current && current.version > comment.version) return [...thread];
  return [...thread.filter((c) => c.id !== comment.id), comment].sort(
    (a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** The cards whose conversations `changes` touch. */
export function commented(changes: Change[]): TaskId[] {
  const tasks = new Set<TaskId>();
  for (const change of changes) {
    if (change.entity !== "comment") continue;
    const row = (change.data ?? change.previous ?? {}) as { task_id?: TaskId };
    if (row.task_id) tasks.add(row.task_id);
  }
  return [...tasks];
}

/** The board with label `label` put on task `task` (`on`), or taken off. */
export function withLabel(board: Board, task: TaskId, label: string, on: boolean): Board {
  const link = { task_id: task, label_id: label };
  return { ...board, task_labels: linked(board.task_labels, link, !on, sameLabel) };
}

/** `board` with `login` put on task `task` (`on`), or taken off. */
export function withAssignee(board: Board, task: TaskId, login: string, on: boolean): Board {
  const link = { task_id: task, login };
  return { ...board, task_assignees: linked(board.task_assignees, link, !on, samePerson) };
}

/** The board without the task `id`. */
export function withoutTask(board: Board, id: TaskId): Board {
  return { ...board, tasks: board.tasks.filter((t) => t.id !== id) };
}

/**
 * The index among a column's other tasks at which a drop at `y` lands, given the boxes of the
 * cards drawn (each with its index in the column; a long column draws only those in view) and
 * where the dragged card stands in the column (-1 when it comes from another).
 */
export function dropIndex(
  boxes: { id: TaskId; index: number; top: number; height: number }[],
  y: number,
  dragged: TaskId,
  draggedAt: number,
): number {
  const amongOthers = (index: number) => (draggedAt >= 0 && draggedAt < index ? index - 1 : index);
  const others = boxes.filter((b) => b.id !== dragged);
  const below = others.find((b) => y < b.top + b.height / 2);
  if (below) return amongOthers(below.index);
  const last = others[others.length - 1];
  return last ? amongOthers(last.index) + 1 : 0;
}

/** The outcome of applying a batch's changes to a board. */
export interface Applied {
  board: Board;
  /** The project itself was deleted: the window must show another one. */
  projectGone: boolean;
}

type Keyed = { id: string };

function upsert<T extends Keyed>(list: T[], item: T): T[] {
  return list.some((x) => x.id === item.id)
    ? list.map((x) => (x.id === item.id ? item : x))
    : [...list, item];
}

/** `list` of links (a label on a card, a person on it) with `link` put in, or taken out when
 * `deleted`; each link once. */
function linked<T>(list: T[], link: T, deleted: boolean, same: (a: T, b: T) => boolean): T[] {
  const others = list.filter((l) => !same(l, link));
  return deleted ? others : [...others, link];
}

const sameLabel = (a: TaskLabel, b: TaskLabel) =>
  a.task_id === b.task_id && a.label_id === b.label_id;
const samePerson = (a: TaskAssignee, b: TaskAssignee) =>
  a.task_id === b.task_id && a.login === b.login;

function remove<T extends Keyed>(list: T[], id: string): T[] {
  return list.filter((x) => x.id !== id);
}

/** The changes in one batch past which a window reads its board afresh. */
export const SNAPSHOT_AT = 200;

/**
 * Whether a batch of `changes` is better read whole than applied change by change to a board
 * of `cards`: a bulk write by another program (an import, a script, thousands of rows in one
 * transaction) costs a snapshot one read, where applying each would copy the board each time.
 */
export function bulky(changes: number, cards: number): boolean {
  return changes >= Math.max(SNAPSHOT_AT, cards / 4);
}

/**
 * The board after `changes` (in seq order), as the backend's change log describes them. An
 * insert of an entity the board holds replaces it; a task never goes back to an older version
 * than the one shown, so a late echo cannot undo a newer optimistic edit.
 */
export function applyChanges(board: Board, changes: Change[]): Applied {
  let next = board;
  let projectGone = false;
  // The cards, by id, once a change touches one: a batch of thousands (a script's import)
  // then costs one copy of the board's cards, not one for each change.
  let cards: Map<TaskId, BoardTask> | null = null;
  for (const change of changes) {
    const data = change.data as unknown;
    const deleted = change.op === "delete";
    /** `list` with this change applied to the entity it names. */
    const edit = <T extends Keyed>(list: T[]): T[] =>
      deleted ? remove(list, change.entity_id) : upsert(list, data as T);
    switch (change.entity) {
      case "project":
        if (change.entity_id !== next.project.id) break;
        // A restore deletes and inserts every row in one batch: back, it is not gone.
        projectGone = deleted;
        if (!deleted) next = { ...next, project: data as Board["project"] };
        break;
      case "column":
        next = {
          ...next,
          columns: edit<Column>(next.columns).sort((a, b) => a.position - b.position),
        };
        break;
      case "task": {
        cards ??= new Map(next.tasks.map((t) => [t.id, t]));
        if (deleted) {
          cards.delete(change.entity_id as TaskId);
          break;
        }
        // As `withTask`: never back to an older version; archived or moved away, off it.
        const task = boardTask(data as Task);
        const current = cards.get(task.id);
        if (current && current.version > task.version) break;
        if (task.archived_at !== null || task.project_id !== next.project.id) {
          cards.delete(task.id);
        } else {
          cards.set(task.id, task);
        }
        break;
      }
      case "subtask":
        next = { ...next, subtasks: edit<Subtask>(next.subtasks) };
        break;
      case "label":
        next = { ...next, labels: edit<Label>(next.labels) };
        break;
      case "task_label": {
        const link = (deleted ? change.previous : data) as TaskLabel | null;
        if (link)
          next = { ...next, task_labels: linked(next.task_labels, link, deleted, sameLabel) };
        break;
      }
      case "task_assignee": {
        const on = (deleted ? change.previous : data) as TaskAssignee | null;
        if (on)
          next = { ...next, task_assignees: linked(next.task_assignees, on, deleted, samePerson) };
        break;
      }
    }
  }
  if (cards) next = { ...next, tasks: [...cards.values()] };
  return { board: next, projectGone };
}
