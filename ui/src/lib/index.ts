// The board indexed for drawing: each column's cards in order, and each card's labels and
// checklist. Built again after every change in one pass over the board, reusing every list whose
// contents did not change, so a change to one card hands new values to that card and its column
// only, and nothing else on the board is drawn again.

import type { Board } from "../bindings/Board";
import type { ColumnId } from "../bindings/ColumnId";
import type { Label } from "../bindings/Label";
import type { Subtask } from "../bindings/Subtask";
import type { BoardTask } from "../bindings/BoardTask";
import type { TaskId } from "../bindings/TaskId";

export interface BoardIndex {
  /** Each column's cards, top to bottom. */
  columns: Map<ColumnId, readonly BoardTask[]>;
  /** The labels on each card that has any, by name. */
  labels: Map<TaskId, readonly Label[]>;
  /** The checklist of each card that has one, top to bottom. */
  checklists: Map<TaskId, readonly Subtask[]>;
  /** The logins of the people on each card that has any, in order. */
  assignees: Map<TaskId, readonly string[]>;
  /** How many comments each card that has any has. */
  comments: Map<TaskId, number>;
  /** The board's lists it was built from: the next build takes over whole what is built from
   * lists that did not change (a change hands the board new lists only where it changed). */
  from: Sources;
}

type Sources = Pick<
  Board,
  "tasks" | "labels" | "task_labels" | "subtasks" | "task_assignees" | "comments"
>;

/** What a column or card without entries gets: always the same list. */
export const NONE: readonly never[] = Object.freeze([]);

/** `board` indexed, sharing with `previous` every list that holds the same entries. */
export function indexBoard(board: Board, previous: BoardIndex | null = null): BoardIndex {
  const from: Sources = {
    tasks: board.tasks,
    labels: board.labels,
    task_labels: board.task_labels,
    subtasks: board.subtasks,
    task_assignees: board.task_assignees,
    comments: board.comments,
  };
  const same = (...lists: (keyof Sources)[]) =>
    previous !== null && lists.every((list) => previous.from[list] === board[list]);
  return {
    columns: same("tasks") ? previous!.columns : byColumn(board, previous),
    labels: same("labels", "task_labels") ? previous!.labels : byLabel(board, previous),
    checklists: same("subtasks")
      ? previous!.checklists
      : reuse(sorted(group(board.subtasks, (s) => s.task_id)), previous?.checklists),
    assignees: same("task_assignees") ? previous!.assignees : byPerson(board, previous),
    comments: same("comments")
      ? previous!.comments
      : new Map(board.comments.map((c) => [c.task_id, c.count])),
    from,
  };
}

function byColumn(board: Board, previous: BoardIndex | null): BoardIndex["columns"] {
  return reuse(sorted(group(board.tasks, (t) => t.column_id)), previous?.columns);
}

function sorted<K, T extends { position: number; id: string }>(lists: Map<K, T[]>): Map<K, T[]> {
  for (const list of lists.values()) list.sort(byPosition);
  return lists;
}

function byLabel(board: Board, previous: BoardIndex | null): BoardIndex["labels"] {
  const labelById = new Map(board.labels.map((l) => [l.id, l]));
  const labels = new Map<TaskId, Label[]>();
  for (const link of board.task_labels) {
    const label = labelById.get(link.label_id);
    if (!label) continue;
    const list = labels.get(link.task_id);
    if (list) list.push(label);
    else labels.set(link.task_id, [label]);
  }
  for (const list of labels.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return reuse(labels, previous?.labels);
}

function byPerson(board: Board, previous: BoardIndex | null): BoardIndex["assignees"] {
  const assignees = new Map<TaskId, string[]>();
  for (const on of board.task_assignees) {
    const list = assignees.get(on.task_id);
    if (list) list.push(on.login);
    else assignees.set(on.task_id, [on.login]);
  }
  for (const list of assignees.values()) list.sort();
  return reuse(assignees, previous?.assignees);
}

function byPosition(a: { position: number; id: string }, b: { position: number; id: string }) {
  return a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function group<K, T>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** `fresh` with each list replaced by `old`'s under the same key when both hold the same
 * entries in the same order. */
function reuse<K, T>(
  fresh: Map<K, T[]>,
  old: Map<K, readonly T[]> | undefined,
): Map<K, readonly T[]> {
  if (!old) return fresh;
  const shared = new Map<K, readonly T[]>();
  for (const [key, list] of fresh) {
    const before = old.get(key);
    shared.set(key, before && sameEntries(before, list) ? before : list);
  }
  return shared;
}

function sameEntries<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether this window draws every card of a long column, not only those in view: only when its
 * address says `?windowed=off`, which `make bench` uses to measure the board without windowing.
 */
export function drawsAll(): boolean {
  return new URLSearchParams(globalThis.location?.search ?? "").get("windowed") === "off";
}
