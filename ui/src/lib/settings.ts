// The settings panel's rules, kept out of the component so they are tested on their own.

import type { Found } from "../bindings/Found";
import type { SettingsView } from "../bindings/SettingsView";

/** The longest debounce window, as the backend allows it. */
export const MAX_DEBOUNCE_MS = 1000;

export type Parsed = { ok: true; ms: number | null } | { ok: false; error: string };

/**
 * Reads the debounce field: a whole number of ms from 0 to 1000, or empty for the default.
 */
export function parseDebounce(text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, ms: null };
  if (!/^\d+$/.test(trimmed)) {
    return { ok: false, error: `“${trimmed}” is not a whole number of milliseconds.` };
  }
  const ms = Number(trimmed);
  if (ms > MAX_DEBOUNCE_MS) {
    return { ok: false, error: `At most ${MAX_DEBOUNCE_MS} ms: past a second, live is not live.` };
  }
  return { ok: true, ms };
}

/** What the panel says about the debounce window in force. */
export function debounceNote(view: SettingsView): string {
  switch (view.debounce_source) {
    case "environment":
      return `TANDEM_DEBOUNCE_MS sets ${view.debounce_ms} ms for this run; your choice applies from the next start without it.`;
    case "settings":
      return `In force: ${view.debounce_ms} ms, in every window.`;
    case "default":
      return `In force: the default, ${view.debounce_ms} ms.`;
  }
}

/** What a tested database holds, in words. */
export function describeFound(found: Found): string {
  switch (found.kind) {
    case "new_file":
      return "No file there yet: Tandem creates it when it opens it.";
    case "empty":
      return "An empty database: Tandem sets it up when it opens it.";
    case "board": {
      const projects = plural(found.projects, "project");
      const cards = plural(found.tasks, "card");
      return `A Tandem board: ${projects}, ${cards}.`;
    }
  }
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;
}

/** The database field as the settings keep it: trimmed, and empty for the default file. */
export function databaseChoice(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === "" ? null : trimmed;
}

/** What the panel says about the database in use and who chose it. */
export function databaseNote(view: SettingsView): string {
  switch (view.database_source) {
    case "explicit":
      return "--db or TANDEM_DB chooses it for this run; the choice above applies from the next start without them.";
    case "settings":
      return "Chosen here.";
    case "default":
      return "The default file.";
  }
}
