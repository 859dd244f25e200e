import { describe, expect, it } from "vitest";
import type { Board } from "../bindings/Board";
import type { ColumnId } from "../bindings/ColumnId";
import type { BoardTask } from "../bindings/BoardTask";
import type { Task } from "../bindings/Task";
import type { TaskId } from "../bindings/TaskId";
import type { Change } from "../bindings/Change";
import type { Comment } from "../bindings/Comment";
import {
  applyChanges,
  dropIndex,
  keyboardDestination,
  provisionalPosition,
  withAssignee,
  withComment,
  withEntity,
  withLabel,
  withTask,
  withoutTask,
  bulky,
} from "./board";
import { describe as describeError } from "./api";
import { indexBoard } from "./index";
import { item } from "./fixtures";

const col = (id: string, position: number) => ({
  id: id as ColumnId,
  project_id: "p",
  name: id,
  position,
  wip_limit: null,
  version: 1,
  created_at: 0,
  updated_at: 0,
});

const task = (id: string, column: string, position: number, version = 1): BoardTask => ({
  id: id as TaskId,
  project_id: "p",
  column_id: column as ColumnId,
  title: id,
  has_description: false,
  archived_at: null,
  priority: "none",
  due_date: null,
  position,
  version,
  created_at: 0,
  updated_at: 0,
});

/** The task as the backend sends it whole, with a description. */
const whole = (id: string, column: string, position: number, version = 1, notes = ""): Task => {
  const { has_description: _, ...rest } = task(id, column, position, version);
  return { ...rest, description: notes };
};

/** To do: a, b, c; Doing: x; Done: empty. */
function board(): Board {
  return {
    project: { id: "p", name: "Inbox", position: 1, version: 1, created_at: 0, updated_at: 0 },
    columns: [col("todo", 1), col("doing", 2), col("done", 3)],
    tasks: [
      task("c", "todo", 30),
      task("a", "todo", 10),
      task("x", "doing", 10),
      task("b", "todo", 20),
    ],
    subtasks: [],
    labels: [],
    task_labels: [],
    task_assignees: [],
    comments: [],
    seq: 7,
    role: null,
  };
}

const lists = (b: Board) => indexBoard(b).columns;
const titles = (b: Board, column: string) =>
  (lists(b).get(column as ColumnId) ?? []).map((t) => t.id);

describe("a column's tasks", () => {
  it("orders a column's tasks by position", () => {
    expect(titles(board(), "todo")).toEqual(["a", "b", "c"]);
    expect(titles(board(), "done")).toEqual([]);
  });
});

describe("keyboardDestination", () => {
  const dest = (id: string, dir: "left" | "right" | "up" | "down") => {
    const b = board();
    const task = b.tasks.find((t) => t.id === id) ?? { ...b.tasks[0]!, id: id as TaskId };
    return keyboardDestination(b.columns, lists(b), task, dir);
  };

  it("moves across to the neighbouring column at the same height, clamped", () => {
    expect(dest("a", "right")).toEqual({ to_column: "doing", to_index: 0 });
    expect(dest("c", "right")).toEqual({ to_column: "doing", to_index: 1 });
    expect(dest("x", "right")).toEqual({ to_column: "done", to_index: 0 });
    expect(dest("x", "left")).toEqual({ to_column: "todo", to_index: 0 });
  });

  it("moves up and down within the column", () => {
    expect(dest("b", "up")).toEqual({ to_column: "todo", to_index: 0 });
    expect(dest("b", "down")).toEqual({ to_column: "todo", to_index: 2 });
  });

  it("stops at the edges of the board", () => {
    expect(dest("a", "left")).toBeNull();
    expect(dest("a", "up")).toBeNull();
    expect(dest("c", "down")).toBeNull();
    expect(dest("ghost", "up")).toBeNull();
  });
});

describe("provisionalPosition", () => {
  it("puts a moved task between its new neighbours, as the backend will", () => {
    const b = board();
    const pos = provisionalPosition(lists(b), "x" as TaskId, {
      to_column: "todo" as ColumnId,
      to_index: 1,
    });
    expect(pos).toBeGreaterThan(10);
    expect(pos).toBeLessThan(20);
    const moved = withTask(b, { ...b.tasks[2]!, column_id: "todo" as ColumnId, position: pos });
    expect(titles(moved, "todo")).toEqual(["a", "x", "b", "c"]);
  });

  it("puts a task moved past the end at the bottom", () => {
    const b = board();
    const pos = provisionalPosition(lists(b), "a" as TaskId, {
      to_column: "todo" as ColumnId,
      to_index: 9,
    });
    const moved = withTask(b, { ...b.tasks[1]!, position: pos });
    expect(titles(moved, "todo")).toEqual(["b", "c", "a"]);
  });
});

describe("withTask and withoutTask", () => {
  it("replaces a task by a newer or equal version and adds new ones", () => {
    const b = withTask(board(), { ...task("a", "todo", 10, 2), title: "renamed" });
    expect(b.tasks.find((t) => t.id === "a")?.title).toBe("renamed");
    expect(withTask(b, task("n", "done", 1)).tasks).toHaveLength(5);
  });

  it("never lets an older version overwrite a newer one", () => {
    const b = withTask(board(), task("a", "todo", 10, 3));
    const stale = withTask(b, { ...task("a", "todo", 10, 2), title: "stale" });
    expect(stale.tasks.find((t) => t.id === "a")?.title).toBe("a");
  });

  it("removes a task", () => {
    expect(titles(withoutTask(board(), "b" as TaskId), "todo")).toEqual(["a", "c"]);
  });
});

describe("dropIndex", () => {
  const boxes = [
    { id: "a" as TaskId, index: 0, top: 0, height: 40 },
    { id: "b" as TaskId, index: 1, top: 50, height: 40 },
    { id: "c" as TaskId, index: 2, top: 100, height: 40 },
  ];

  it("lands above the first card whose middle is below the pointer", () => {
    expect(dropIndex(boxes, 10, "z" as TaskId, -1)).toBe(0);
    expect(dropIndex(boxes, 75, "z" as TaskId, -1)).toBe(2);
    expect(dropIndex(boxes, 500, "z" as TaskId, -1)).toBe(3);
    expect(dropIndex([], 500, "z" as TaskId, -1)).toBe(0);
  });

  it("counts the cards above those drawn in a long column", () => {
    const far = boxes.map((b) => ({ ...b, index: b.index + 500 }));
    expect(dropIndex(far, 75, "z" as TaskId, -1)).toBe(502);
    // The dragged card stands above the drawn ones: one fewer other card above.
    expect(dropIndex(far, 75, "z" as TaskId, 3)).toBe(501);
    expect(dropIndex(far, 500, "z" as TaskId, 3)).toBe(502);
  });

  it("counts without the dragged card itself", () => {
    expect(dropIndex(boxes, 130, "a" as TaskId, 0)).toBe(2);
  });
});

describe("error messages", () => {
  it("turns backend errors into sentences", () => {
    expect(
      describeError({ code: "invalid", message: "title: must not be empty", field: "title" }),
    ).toBe("Title: must not be empty.");
    expect(describeError("boom")).toBe("Boom.");
    expect(describeError(42)).toBe("Something went wrong.");
  });
});

describe("applyChanges", () => {
  const change = (
    seq: number,
    op: Change["op"],
    entity: Change["entity"],
    data: object | null,
    id?: string,
  ): Change => ({
    seq,
    op,
    entity,
    entity_id: id ?? String((data as { id?: string } | null)?.id ?? ""),
    project_id: "p",
    data: data as Record<string, unknown> | null,
    previous: null,
    origin: null,
    at: 0,
  });

  it("adds, updates and removes tasks", () => {
    const { board: b } = applyChanges(board(), [
      change(8, "insert", "task", task("n", "done", 5)),
      change(9, "update", "task", { ...task("a", "doing", 5, 2), title: "moved" }),
      change(10, "delete", "task", null, "b"),
    ]);
    expect(titles(b, "done")).toEqual(["n"]);
    expect(titles(b, "doing")).toEqual(["a", "x"]);
    expect(titles(b, "todo")).toEqual(["c"]);
  });

  it("takes an archived task off the board and puts it back when it returns", () => {
    const start = { ...board(), subtasks: [item("s1", "a", 1, false)] };
    expect(titles(start, "todo")).toEqual(["a", "b", "c"]);
    const archived = applyChanges(start, [
      change(8, "update", "task", { ...task("a", "todo", 10, 2), archived_at: 1000 }),
    ]).board;
    expect(titles(archived, "todo")).toEqual(["b", "c"]);
    const back = applyChanges(archived, [
      change(9, "update", "task", { ...task("a", "todo", 40, 3), archived_at: null }),
    ]).board;
    expect(titles(back, "todo")).toEqual(["b", "c", "a"]);
    expect(back.subtasks.map((s) => s.task_id)).toEqual(["a"]);
  });

  it("keeps a project deleted and inserted again in one batch, as a restore sends it", () => {
    const start = board();
    const restored = applyChanges(start, [
      change(8, "delete", "task", null, "a"),
      change(9, "delete", "project", null, "p"),
      change(10, "insert", "project", { ...start.project, name: "Inbox again", version: 3 }),
      change(11, "insert", "task", task("a", "todo", 10, 3)),
    ]);
    expect(restored.projectGone).toBe(false);
    expect(restored.board.project.name).toBe("Inbox again");
    expect(titles(restored.board, "todo")).toEqual(["a", "b", "c"]);
  });

  it("keeps columns in position order as they change", () => {
    const { board: b } = applyChanges(board(), [
      change(8, "update", "column", { ...col("todo", 4), name: "Later" }),
      change(9, "insert", "column", col("review", 2.5)),
    ]);
    expect(b.columns.map((c) => c.id)).toEqual(["doing", "review", "done", "todo"]);
  });

  it("renames the project and says when it is gone", () => {
    const renamed = applyChanges(board(), [
      change(8, "update", "project", { ...board().project, name: "Work" }),
    ]);
    expect(renamed.board.project.name).toBe("Work");
    expect(renamed.projectGone).toBe(false);
    expect(applyChanges(board(), [change(9, "delete", "project", null, "p")]).projectGone).toBe(
      true,
    );
  });

  it("links and unlinks labels", () => {
    const link = { task_id: "a", label_id: "l" };
    const linked = applyChanges(board(), [change(8, "insert", "task_label", link, "a:l")]).board;
    expect(linked.task_labels).toEqual([link]);
    const unlinked = applyChanges(linked, [
      { ...change(9, "delete", "task_label", null, "a:l"), previous: link },
    ]).board;
    expect(unlinked.task_labels).toEqual([]);
  });

  it("puts people on a card and takes them off, each once", () => {
    const on = { task_id: "a", login: "alice" };
    const assigned = applyChanges(board(), [
      change(8, "insert", "task_assignee", on, "a:alice"),
      change(9, "insert", "task_assignee", on, "a:alice"),
    ]).board;
    expect(assigned.task_assignees).toEqual([on]);
    const unassigned = applyChanges(assigned, [
      { ...change(10, "delete", "task_assignee", null, "a:alice"), previous: on },
    ]).board;
    expect(unassigned.task_assignees).toEqual([]);
  });
});

describe("withEntity", () => {
  it("puts in what the backend answered, unless the board holds something newer", () => {
    const b = board();
    const answer = { entity: "task" as const, ...whole("a", "todo", 10, 2, "Notes"), title: "A!" };
    const renamed = withEntity(b, answer);
    const found = renamed.tasks.find((t) => t.id === "a");
    expect(found?.title).toBe("A!");
    expect(found && "entity" in found).toBe(false);
    // The board keeps what a card shows: that there is a description, not the text.
    expect(found && "description" in found).toBe(false);
    expect(found?.has_description).toBe(true);
    const stale = withEntity(renamed, { entity: "task", ...whole("a", "todo", 10, 1) });
    expect(stale.tasks.find((t) => t.id === "a")?.title).toBe("A!");
    const column = withEntity(b, { entity: "column", ...col("first", 0) });
    expect(column.columns.map((c) => c.id)).toEqual(["first", "todo", "doing", "done"]);
    const elsewhere = withEntity(b, { entity: "column", ...col("x", 0), project_id: "other" });
    expect(elsewhere.columns).toHaveLength(3);
  });
});

describe("withComment", () => {
  const comment = (id: string, created_at: number, version = 1, body = "hi"): Comment => ({
    id,
    task_id: "t" as TaskId,
    author: "ann",
    body,
    version,
    created_at,
    updated_at: created_at,
    edited_at: null,
  });

  it("keeps a thread in the order it was written, whatever order comments arrive in", () => {
    let thread = withComment([], comment("b", 20));
    thread = withComment(thread, comment("c", 30));
    thread = withComment(thread, comment("a", 20));
    thread = withComment(thread, comment("z", 10));
    expect(thread.map((c) => c.id)).toEqual(["z", "a", "b", "c"]);
  });

  it("replaces an edited comment in place but never with an older version", () => {
    const thread = [comment("a", 1), comment("b", 2, 3, "third")];
    const edited = withComment(thread, comment("a", 1, 2, "again"));
    expect(edited.map((c) => c.body)).toEqual(["again", "third"]);
    expect(withComment(edited, comment("b", 2, 2, "second"))[1]?.body).toBe("third");
  });
});

describe("withLabel", () => {
  it("puts a label on a task once and takes it off", () => {
    const on = withLabel(
      withLabel(board(), "a" as TaskId, "bug", true),
      "a" as TaskId,
      "bug",
      true,
    );
    expect(on.task_labels).toEqual([{ task_id: "a", label_id: "bug" }]);
    expect(withLabel(on, "a" as TaskId, "bug", false).task_labels).toEqual([]);
  });
});

describe("withAssignee", () => {
  it("puts a person on a task once and takes them off, leaving the others", () => {
    const ada = withAssignee(board(), "a" as TaskId, "ada", true);
    const both = withAssignee(
      withAssignee(ada, "a" as TaskId, "bob", true),
      "a" as TaskId,
      "ada",
      true,
    );
    expect(both.task_assignees).toEqual([
      { task_id: "a", login: "bob" },
      { task_id: "a", login: "ada" },
    ]);
    expect(withAssignee(both, "a" as TaskId, "ada", false).task_assignees).toEqual([
      { task_id: "a", login: "bob" },
    ]);
  });
});

describe("a bulk write", () => {
  it("is read whole once it is large beside the board, and applied change by change else", () => {
    // Ten thousand cards written by another program at once, onto an empty board.
    expect(bulky(10_000, 0)).toBe(true);
    // A quarter of a big board changed at once.
    expect(bulky(2_500, 10_000)).toBe(true);
    expect(bulky(2_499, 10_000)).toBe(false);
    // The everyday: a few changes, even on a small board.
    expect(bulky(3, 4)).toBe(false);
    expect(bulky(199, 10)).toBe(false);
  });
});
