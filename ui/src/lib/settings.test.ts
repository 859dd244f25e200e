import { describe, expect, it } from "vitest";
import type { SettingsView } from "../bindings/SettingsView";
import { databaseChoice, debounceNote, describeFound, parseDebounce } from "./settings";

describe("parseDebounce", () => {
  it("takes whole milliseconds from 0 to 1000, and empty for the default", () => {
    expect(parseDebounce("0")).toEqual({ ok: true, ms: 0 });
    expect(parseDebounce(" 250 ")).toEqual({ ok: true, ms: 250 });
    expect(parseDebounce("1000")).toEqual({ ok: true, ms: 1000 });
    expect(parseDebounce("")).toEqual({ ok: true, ms: null });
  });

  it("refuses anything else with a reason", () => {
    for (const bad of ["-1", "2.5", "fast", "1e3", "1001"]) {
      const parsed = parseDebounce(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.error.length).toBeGreaterThan(0);
    }
  });
});

describe("debounceNote", () => {
  const view = (source: SettingsView["debounce_source"], ms: number): SettingsView => ({
    settings: {
      debounce_ms: null,
      notifications: true,
      news: [],
      backups: true,
      theme: "system",
      zoom: 100,
      database: null,
    },
    debounce_ms: ms,
    debounce_source: source,
    database: "/data/tandem.db",
    database_source: "default",
    file: null,
    backup_folder: null,
    log_folder: null,
    problem: null,
  });

  it("says where the window in force comes from", () => {
    expect(debounceNote(view("environment", 7))).toContain("TANDEM_DEBOUNCE_MS sets 7 ms");
    expect(debounceNote(view("settings", 40))).toContain("40 ms");
    expect(debounceNote(view("default", 100))).toContain("default, 100 ms");
  });
});

describe("the database field", () => {
  it("says what a tested database holds", () => {
    expect(describeFound({ kind: "new_file" })).toContain("creates it");
    expect(describeFound({ kind: "empty" })).toContain("sets it up");
    expect(describeFound({ kind: "board", projects: 1, tasks: 1 })).toBe(
      "A Tandem board: 1 project, 1 card.",
    );
    expect(describeFound({ kind: "board", projects: 3, tasks: 12000 })).toBe(
      "A Tandem board: 3 projects, 12,000 cards.",
    );
  });

  it("keeps nothing for an empty field: the default file", () => {
    expect(databaseChoice("   ")).toBeNull();
    expect(databaseChoice(" postgres://ann@db/boards ")).toBe("postgres://ann@db/boards");
  });
});
