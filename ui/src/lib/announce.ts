// What a screen reader hears: where a card stands, and what happened to cards, in words. Pure
// functions; the store speaks them through one polite live region.

import type { Board } from "../bindings/Board";
import type { BoardTask } from "../bindings/BoardTask";
import type { Change } from "../bindings/Change";
import type { Origin } from "../bindings/Origin";
import { dueState } from "./card";

/** Where a card stands and what it carries: "2 of 5 in Doing, high priority, due tomorrow". */
export function cardDescription(
  task: BoardTask,
  index: number,
  count: number,
  column: string,
  today: string,
): string {
  const parts = [`${index + 1} of ${count} in ${column}`];
  if (task.priority !== "none") parts.push(`${task.priority} priority`);
  if (task.due_date) parts.push(dueWords(task.due_date, today));
  return parts.join(", ");
}

function dueWords(due: string, today: string): string {
  const state = dueState(due, today);
  const days = Math.round((Date.parse(due) - Date.parse(today)) / 86_400_000);
  if (days === 0) return "due today";
  if (days === 1) return "due tomorrow";
  if (state === "overdue") return days === -1 ? "overdue since yesterday" : `overdue since ${due}`;
  return `due ${due}`;
}

/**
 * Who made a change, as a sentence ends: "by Alice" for another person, "by the command line";
 * "" for this window's own. `author` is the name of the change's author when that is someone
 * else than the user.
 */
export function byWhom(
  origin: Origin | null,
  instance: string | null,
  own: boolean,
  author: string | null = null,
): string {
  if (own) return "";
  if (author) return ` by ${author}`;
  if (!origin) return " by another program";
  if (origin.actor === "cli") return " by the command line";
  if (origin.instance === instance) return " in another window";
  return " by another copy of Tandem";
}

type Row = { title?: string; column_id?: string; archived_at?: number | null };

/**
 * What a change did to a card, in words: added, moved, archived, restored or deleted, and by
 * whom; `null` for what a listener need not hear (an edit of its text, a checklist tick).
 */
export function changeSentence(board: Board, change: Change, by: string): string | null {
  if (change.entity !== "task") return null;
  const data = (change.data ?? {}) as Row;
  const previous = (change.previous ?? {}) as Row;
  const title = data.title ?? previous.title ?? "A card";
  const column = (id: string | undefined) =>
    board.columns.find((c) => c.id === id)?.name ?? "another column";
  switch (change.op) {
    case "insert":
      return `“${title}” added to ${column(data.column_id)}${by}`;
    case "delete":
      return `“${title}” deleted${by}`;
    case "update":
      if ("archived_at" in previous) {
        return data.archived_at ? `“${title}” archived${by}` : `“${title}” restored${by}`;
      }
      if ("column_id" in previous) return `“${title}” moved to ${column(data.column_id)}${by}`;
      if ("position" in previous) return `“${title}” moved within ${column(data.column_id)}${by}`;
      return null;
  }
}

/** Sentences heard together, as one: a burst is one sentence, not a stream of them. */
export function together(sentences: readonly string[]): string {
  if (sentences.length <= 2) return sentences.map((s) => `${s}.`).join(" ");
  const [first, second] = sentences;
  return `${sentences.length} cards changed: ${first}; ${second}; and ${sentences.length - 2} more.`;
}
