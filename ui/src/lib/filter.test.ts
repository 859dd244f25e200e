import { describe, expect, it } from "vitest";
import type { Board } from "../bindings/Board";
import type { Task } from "../bindings/Task";
import type { TaskId } from "../bindings/TaskId";
import { NO_FILTER, fullIndex, isActive, matches } from "./filter";

const task = (id: string, fields: Partial<Task> = {}): Task => ({
  id: id as TaskId,
  project_id: "p",
  column_id: "c",
  title: id,
  description: "",
  priority: "none",
  due_date: null,
  position: 1,
  version: 1,
  created_at: 0,
  updated_at: 0,
  ...fields,
});

const board: Board = {
  project: { id: "p", name: "Inbox", position: 1, version: 1, created_at: 0, updated_at: 0 },
  columns: [],
  tasks: [],
  subtasks: [],
  labels: [],
  task_labels: [{ task_id: "bug" as TaskId, label_id: "l-bug" }],
  seq: 1,
};

const today = "2026-11-22";

describe("filter", () => {
  it("lets everything through when empty", () => {
    expect(isActive(NO_FILTER)).toBe(false);
    expect(matches(board, task("a"), NO_FILTER, today)).toBe(true);
  });

  it("finds every word in the title or description, in any case", () => {
    const notes = task("Release", { description: "Collect the merged PRs" });
    const f = { ...NO_FILTER, text: "release  MERGED" };
    expect(isActive(f)).toBe(true);
    expect(matches(board, notes, f, today)).toBe(true);
    expect(matches(board, task("Release"), f, today)).toBe(false);
  });

  it("filters by label, priority and due date", () => {
    expect(matches(board, task("bug"), { ...NO_FILTER, label: "l-bug" }, today)).toBe(true);
    expect(matches(board, task("other"), { ...NO_FILTER, label: "l-bug" }, today)).toBe(false);
    const high = task("h", { priority: "high" });
    expect(matches(board, high, { ...NO_FILTER, priority: "high" }, today)).toBe(true);
    expect(matches(board, high, { ...NO_FILTER, priority: "low" }, today)).toBe(false);
    const late = task("late", { due_date: "2026-11-21" });
    const soon = task("soon", { due_date: "2026-11-29" });
    const later = task("later", { due_date: "2026-11-30" });
    const week = { ...NO_FILTER, due: "week" as const };
    expect([late, soon, later].map((t) => matches(board, t, week, today))).toEqual([
      false,
      true,
      false,
    ]);
    const overdue = { ...NO_FILTER, due: "overdue" as const };
    expect(matches(board, late, overdue, today)).toBe(true);
    expect(matches(board, task("x"), { ...NO_FILTER, due: "none" }, today)).toBe(true);
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
