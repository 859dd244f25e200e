// Find: which cards a window shows while the user filters its board. Pure and applied to the
// live board on every render, so a filter holds through every change that arrives. The words
// are looked up in the backend's search index (titles, descriptions and checklists, which the
// board does not hold), whose answer this applies.

import type { Label } from "../bindings/Label";
import type { Priority } from "../bindings/Priority";
import type { BoardTask } from "../bindings/BoardTask";

export type Due = "any" | "overdue" | "week" | "none";

/** The assignee filter's "nobody": no login holds a parenthesis. */
export const NOBODY = "(nobody)";

export interface Filter {
  /** Words that must all start a word of the card's title, description or checklist, in any
   * case. */
  text: string;
  /** A label the card must carry. */
  label: string | null;
  priority: Priority | "any";
  due: Due;
  /** A person (login) who must be on the card, or [`NOBODY`]: no one on it; `null`: anyone. */
  assignee: string | null;
}

export const NO_FILTER: Filter = {
  text: "",
  label: null,
  priority: "any",
  due: "any",
  assignee: null,
};

export function isActive(filter: Filter): boolean {
  return (
    filter.text.trim() !== "" ||
    filter.label !== null ||
    filter.priority !== "any" ||
    filter.due !== "any" ||
    filter.assignee !== null
  );
}

/** The day `days` after `date` (both YYYY-MM-DD). */
function plusDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Whether a card passes `filter` on the day `today` (YYYY-MM-DD), given the card, its labels
 * and the logins of the people on it:
 * the filter read once, then asked of every card. `found` holds the cards the search index
 * matched the filter's words to: its latest answer, kept while the next is on its way so the
 * board never flashes empty; `null` before the first, when the words narrow nothing yet.
 */
export function matcher(
  filter: Filter,
  today: string,
  found: ReadonlySet<string> | null,
): (task: BoardTask, labels: readonly Label[], assignees: readonly string[]) => boolean {
  const text = filter.text.trim() !== "" && found !== null;
  const week = plusDays(today, 7);
  return (task, labels, assignees) => {
    if (text && !found?.has(task.id)) return false;
    if (filter.label !== null && !labels.some((l) => l.id === filter.label)) return false;
    if (filter.assignee === NOBODY) {
      if (assignees.length > 0) return false;
    } else if (filter.assignee !== null && !assignees.includes(filter.assignee)) {
      return false;
    }
    if (filter.priority !== "any" && task.priority !== filter.priority) return false;
    switch (filter.due) {
      case "any":
        return true;
      case "none":
        return task.due_date === null;
      case "overdue":
        return task.due_date !== null && task.due_date < today;
      case "week":
        return task.due_date !== null && task.due_date >= today && task.due_date <= week;
    }
  };
}

/**
 * Where a card dropped at `index` among the `visible` other cards of a column goes among all
 * of them (`all`, in order): just before the visible card it was dropped above, or just after
 * the last visible one.
 */
export function fullIndex(
  all: readonly BoardTask[],
  visible: readonly BoardTask[],
  index: number,
): number {
  const before = visible[index];
  if (before) return all.findIndex((t) => t.id === before.id);
  const last = visible[visible.length - 1];
  return last ? all.findIndex((t) => t.id === last.id) + 1 : all.length;
}
