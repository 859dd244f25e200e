import { describe, expect, it } from "vitest";
import type { Label } from "../bindings/Label";
import type { LabelId } from "../bindings/LabelId";
import type { BoardTask } from "../bindings/BoardTask";
import type { TaskId } from "../bindings/TaskId";
import { NOBODY, NO_FILTER, fullIndex, isActive, matcher, type Filter } from "./filter";

const task = (id: string, fields: Partial<BoardTask> = {}): BoardTask => ({
  id: id as TaskId,
  project_id: "p",
  column_id: "c",
  title: id,
  has_description: false,
  archived_at: null,
  priority: "none",
  due_date: null,
  position: 1,
  version: 1,
  created_at: 0,
  updated_at: 0,
  ...fields,
});

const bug: Label = {
  id: "l-bug" as LabelId,
  project_id: "p",
  name: "bug",
  color: "#dc2626",
  version: 1,
  created_at: 0,
  updated_at: 0,
};

const today = "2026-11-22";

/** Whether `t` passes `filter`; the card named "bug" carries the label "bug". */
const matches = (t: BoardTask, filter: Filter, found: ReadonlySet<string> | null = null) =>
  matcher(filter, today, found)(t, t.id === "bug" ? [bug] : [], t.id === "mine" ? ["ada"] : []);

describe("filter", () => {
  it("lets everything through when empty", () => {
    expect(isActive(NO_FILTER)).toBe(false);
    expect(matches(task("a"), NO_FILTER)).toBe(true);
  });

  it("shows the cards the search index found for the words, once it has answered", () => {
    const f = { ...NO_FILTER, text: "rel  NOTE" };
    expect(isActive(f)).toBe(true);
    const notes = task("Release", { has_description: true });
    expect(matches(notes, f, new Set([notes.id]))).toBe(true);
    expect(matches(task("Other"), f, new Set([notes.id]))).toBe(false);
    expect(matches(notes, f, new Set())).toBe(false);
    // Before the first answer the words narrow nothing, so the board does not flash empty.
    expect(matches(task("Other"), f, null)).toBe(true);
    expect(matches(task("Other"), { ...f, priority: "high" }, null)).toBe(false);
  });

  it("filters by label, priority and due date", () => {
    expect(matches(task("bug"), { ...NO_FILTER, label: "l-bug" })).toBe(true);
    expect(matches(task("other"), { ...NO_FILTER, label: "l-bug" })).toBe(false);
    const high = task("h", { priority: "high" });
    expect(matches(high, { ...NO_FILTER, priority: "high" })).toBe(true);
    expect(matches(high, { ...NO_FILTER, priority: "low" })).toBe(false);
    const late = task("late", { due_date: "2026-11-21" });
    const soon = task("soon", { due_date: "2026-11-29" });
    const later = task("later", { due_date: "2026-11-30" });
    const week = { ...NO_FILTER, due: "week" as const };
    expect([late, soon, later].map((t) => matches(t, week))).toEqual([false, true, false]);
    const overdue = { ...NO_FILTER, due: "overdue" as const };
    expect(matches(late, overdue)).toBe(true);
    expect(matches(task("x"), { ...NO_FILTER, due: "none" })).toBe(true);
  });

  it("filters by who is on a card, or that no one is", () => {
    const mine = task("mine");
    const loose = task("loose");
    expect(isActive({ ...NO_FILTER, assignee: NOBODY })).toBe(true);
    expect(matches(mine, { ...NO_FILTER, assignee: "ada" })).toBe(true);
    expect(matches(loose, { ...NO_FILTER, assignee: "ada" })).toBe(false);
    expect(matches(mine, { ...NO_FILTER, assignee: "bob" })).toBe(false);
    expect(matches(mine, { ...NO_FILTER, assignee: NOBODY })).toBe(false);
    expect(matches(loose, { ...NO_FILTER, assignee: NOBODY })).toBe(true);
  });

  it("maps a drop among the visible cards to a place among all of them", () => {
    const all = ["a", "b", "c", "d"].map((id) => task(id));
    const visible = [all[1]!, all[3]!];
    expect(fullIndex(all, visible, 0)).toBe(1);
    expect(fullIndex(all, visible, 1)).toBe(3);
    expect(fullIndex(all, visible, 2)).toBe(4);
    expect(fullIndex(all, [], 0)).toBe(4);
  });
});
