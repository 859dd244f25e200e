import { describe, expect, it } from "vitest";
import type { Board } from "../bindings/Board";
import type { BoardTask } from "../bindings/BoardTask";
import type { TaskId } from "../bindings/TaskId";
import { item, label, SHIP_CARD } from "./fixtures";
import { checklist, dueState, localToday, progress, taskLabels, initials } from "./card";

const task: BoardTask = SHIP_CARD;

const sub = (id: string, position: number, done: boolean) => item(id, "t", position, done);

const board: Board = {
  project: { id: "p", name: "Inbox", position: 1, version: 1, created_at: 0, updated_at: 0 },
  columns: [],
  tasks: [task],
  subtasks: [
    sub("b", 20, false),
    sub("a", 10, true),
    { ...sub("z", 5, true), task_id: "other" as TaskId },
  ],
  labels: [label("l1", "Docs"), label("l2", "Bug"), label("l3", "Unused")],
  task_labels: [
    { task_id: "t" as TaskId, label_id: "l1" },
    { task_id: "t" as TaskId, label_id: "l2" },
  ],
  task_assignees: [],
  comments: [],
  seq: 1,
  role: null,
};

describe("initials", () => {
  it("take the first letters of the first and last names, or two of one name", () => {
    expect(initials("Ada Lovelace")).toBe("AL");
    expect(initials("  grace  brewster murray hopper ")).toBe("GH");
    expect(initials("dana")).toBe("DA");
    expect(initials("Émile")).toBe("ÉM");
    expect(initials("")).toBe("?");
  });
});

describe("card", () => {
  it("lists a task's labels by name and its checklist in order, with progress", () => {
    expect(taskLabels(board, task.id).map((l) => l.name)).toEqual(["Bug", "Docs"]);
    const items = checklist(board, task.id);
    expect(items.map((s) => s.id)).toEqual(["a", "b"]);
    expect(progress(items)).toBe("1/2");
    expect(progress([])).toBeNull();
  });

  it("says how close a due date is", () => {
    expect(dueState("2026-01-01", "2026-01-02")).toBe("overdue");
    expect(dueState("2026-01-02", "2026-01-02")).toBe("today");
    expect(dueState("2026-01-05", "2026-01-02")).toBe("soon");
    expect(dueState("2026-02-01", "2026-01-02")).toBe("later");
    expect(localToday(new Date(2026, 0, 9))).toBe("2026-01-09");
  });
});
