// An edit sent at a version someone else has moved past is refused with the row as it now is.
// Comparing three sides, field by field — the row as I saw it (base), my edit, and theirs —
// tells what can go through on its own and what the user must choose: pure, so tested alone.

import { PRIORITIES } from "./card";

/** One field that both sides changed, to different values. */
export interface Clash {
  field: string;
  /** The field's name for people: "Title". */
  name: string;
  /** Both values as the dialog shows them. */
  mine: string;
  theirs: string;
}

/** The outcome of comparing my edit with theirs. */
export interface Comparison<T> {
  /** Fields I changed that they left alone: these can be sent again as they are. */
  clean: Partial<T>;
  /** Fields we both changed, differently: the user keeps mine or theirs. */
  clashes: Clash[];
}

const NAMES: Record<string, string> = {
  title: "Title",
  description: "Description",
  priority: "Priority",
  due_date: "Due date",
  name: "Name",
  wip_limit: "WIP limit",
  color: "Colour",
};

/** A field's value as the conflict dialog shows it. */
export function shown(field: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "priority") return PRIORITIES.find((p) => p.value === value)?.name ?? String(value);
  return String(value);
}

/**
 * Compares my edit (`mine`: the fields I changed, from `base`, the row as I saw it) with the
 * row as it now is (`theirs`). A field where theirs already equals mine needs nothing.
 */
export function compare<T extends object>(base: T, mine: Partial<T>, theirs: T): Comparison<T> {
  const clean: Partial<T> = {};
  const clashes: Clash[] = [];
  for (const field of Object.keys(mine) as (keyof T & string)[]) {
    const value = mine[field];
    if (value === undefined || value === theirs[field]) continue;
    if (theirs[field] === base[field]) {
      clean[field] = value;
    } else {
      clashes.push({
        field,
        name: NAMES[field] ?? field,
        mine: shown(field, value),
        theirs: shown(field, theirs[field]),
      });
    }
  }
  return { clean, clashes };
}

/** What a change says about each field, beside the op and the ids that only say where. */
const NOT_FIELDS = new Set(["op", "id", "expected_version", "task_id", "project_id"]);

/**
 * A refused change (`mine`) beside the entity as the server had it (`theirs`), field by field:
 * each field the change set that the entity has, as the Couldn't apply list shows both.
 */
export function sides(mine: object, theirs: object | null): Clash[] {
  if (!theirs) return [];
  const now = theirs as Record<string, unknown>;
  return Object.entries(mine)
    .filter(([field, value]) => !NOT_FIELDS.has(field) && value !== undefined && field in now)
    .map(([field, value]) => ({
      field,
      name: NAMES[field] ?? field,
      mine: shown(field, value),
      theirs: shown(field, now[field]),
    }));
}
