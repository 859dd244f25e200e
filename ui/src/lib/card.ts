// What a card shows and what its dialog compares, worked out from the board: pure, so tested
// on its own.

import type { Board } from "../bindings/Board";
import type { Label } from "../bindings/Label";
import type { Priority } from "../bindings/Priority";
import type { Subtask } from "../bindings/Subtask";
import type { Task } from "../bindings/Task";
import type { TaskId } from "../bindings/TaskId";

/** The labels on a task, by name. */
export function taskLabels(board: Board, task: TaskId): Label[] {
  const on = new Set(board.task_labels.filter((l) => l.task_id === task).map((l) => l.label_id));
  return board.labels.filter((l) => on.has(l.id)).sort((a, b) => a.name.localeCompare(b.name));
}

/** A task's checklist, top to bottom. */
export function checklist(board: Board, task: TaskId): Subtask[] {
  return board.subtasks.filter((s) => s.task_id === task).sort((a, b) => a.position - b.position);
}

/** "2/5" for a checklist with two of five items done; `null` without a checklist. */
export function progress(items: readonly Subtask[]): string | null {
  if (items.length === 0) return null;
  return `${items.filter((s) => s.done).length}/${items.length}`;
}

export type DueState = "overdue" | "today" | "soon" | "later";

/** How close a due date (YYYY-MM-DD) is to `today` (also YYYY-MM-DD); "soon" is within 3 days. */
export function dueState(due: string, today: string): DueState {
  if (due < today) return "overdue";
  if (due === today) return "today";
  const days = (Date.parse(due) - Date.parse(today)) / 86_400_000;
  return days <= 3 ? "soon" : "later";
}

/** Today in the user's time zone, as YYYY-MM-DD. */
export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export const PRIORITIES: { value: Priority; name: string }[] = [
  { value: "none", name: "No priority" },
  { value: "low", name: "Low" },
  { value: "medium", name: "Medium" },
  { value: "high", name: "High" },
  { value: "urgent", name: "Urgent" },
];

/** The fields of a task a user edits in the card dialog. */
export type Field = "title" | "description" | "priority" | "due_date";

/** A person's initials, as a card shows who is on it: the first letters of their first and
 * last names, or the first two of a single name. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = words[0] ?? "?";
  const last = words.length > 1 ? words[words.length - 1] : undefined;
  const letters = last
    ? [...first].slice(0, 1).concat([...last].slice(0, 1))
    : [...first].slice(0, 2);
  return letters.join("").toUpperCase();
}
