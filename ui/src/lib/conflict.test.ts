import { describe, expect, it } from "vitest";
import type { Column } from "../bindings/Column";
import type { Task } from "../bindings/Task";
import { SHIP } from "./fixtures";
import { compare, sides } from "./conflict";

const base: Task = SHIP;

describe("conflict", () => {
  it("lets through what only I changed and asks about what we both changed", () => {
    const theirs = { ...base, title: "Ship it now", priority: "high" as const, version: 4 };
    const mine = { title: "Ship it", description: "Notes", priority: "high" as const };
    expect(compare(base, mine, theirs)).toEqual({
      clean: { description: "Notes" },
      clashes: [{ field: "title", name: "Title", mine: "Ship it", theirs: "Ship it now" }],
    });
  });

  it("shows empty values as a dash and priorities by name", () => {
    const theirs = { ...base, due_date: "2026-03-01", priority: "urgent" as const };
    expect(compare(base, { due_date: null, priority: "low" }, theirs).clashes).toEqual([
      { field: "due_date", name: "Due date", mine: "—", theirs: "2026-03-01" },
      { field: "priority", name: "Priority", mine: "Low", theirs: "Urgent" },
    ]);
  });

  it("compares any row: a column's limit cleared here and raised there", () => {
    const column: Column = {
      id: "c",
      project_id: "p",
      name: "Doing",
      position: 1,
      wip_limit: 3,
      version: 1,
      created_at: 0,
      updated_at: 0,
    };
    const theirs = { ...column, wip_limit: 5, name: "In progress", version: 2 };
    expect(compare(column, { wip_limit: null }, theirs)).toEqual({
      clean: {},
      clashes: [{ field: "wip_limit", name: "WIP limit", mine: "—", theirs: "5" }],
    });
  });
});

describe("a refused change beside the server's version", () => {
  it("shows each field the change set, both ways, and nothing of the ids", () => {
    const mine = {
      op: "task_edit",
      id: SHIP.id,
      expected_version: 1,
      title: "Mine",
      priority: "high",
    };
    const theirs = { entity: "task", ...SHIP, title: "Bob's", priority: "none" };
    expect(sides(mine, theirs)).toEqual([
      { field: "title", name: "Title", mine: "Mine", theirs: "Bob's" },
      { field: "priority", name: "Priority", mine: "High", theirs: "No priority" },
    ]);
  });

  it("shows nothing when the server's side is not known (a refusal that is not a conflict)", () => {
    expect(sides({ op: "task_delete", id: SHIP.id, expected_version: 1 }, null)).toEqual([]);
  });
});
