import { describe, expect, it } from "vitest";
import type { Board } from "../bindings/Board";
import type { ColumnId } from "../bindings/ColumnId";
import type { LabelId } from "../bindings/LabelId";
import type { TaskId } from "../bindings/TaskId";
import { withTask } from "./board";
import { item, label, SHIP_CARD } from "./fixtures";
import { indexBoard, NONE } from "./index";

const at = (id: string, column: string, position: number) => ({
  ...SHIP_CARD,
  id: id as TaskId,
  column_id: column as ColumnId,
  title: id,
  position,
});

function board(): Board {
  return {
    project: { id: "p", name: "Inbox", position: 1, version: 1, created_at: 0, updated_at: 0 },
    columns: [],
    tasks: [at("c", "todo", 30), at("a", "todo", 10), at("x", "doing", 10), at("b", "todo", 20)],
    subtasks: [item("s2", "a", 2, true), item("s1", "a", 1, false)],
    labels: [label("l1", "urgent"), label("l2", "bug")],
    task_labels: [
      { task_id: "a" as TaskId, label_id: "l1" as LabelId },
      { task_id: "a" as TaskId, label_id: "l2" as LabelId },
      { task_id: "b" as TaskId, label_id: "gone" as LabelId },
    ],
    task_assignees: [],
    comments: [],
    seq: 1,
    role: null,
  };
}

const ids = (list: readonly { id: string }[] | undefined) => (list ?? NONE).map((x) => x.id);

describe("indexBoard", () => {
  it("orders each column's cards, each card's labels by name and its checklist", () => {
    const index = indexBoard(board());
    expect(ids(index.columns.get("todo" as ColumnId))).toEqual(["a", "b", "c"]);
    expect(ids(index.columns.get("doing" as ColumnId))).toEqual(["x"]);
    expect(ids(index.labels.get("a" as TaskId))).toEqual(["l2", "l1"]);
    // A link to a label the board does not hold shows nothing.
    expect(index.labels.get("b" as TaskId)).toBeUndefined();
    expect(ids(index.checklists.get("a" as TaskId))).toEqual(["s1", "s2"]);
  });

  it("hands the same lists back for everything a change did not touch", () => {
    const before = board();
    const first = indexBoard(before);
    const moved = withTask(before, { ...at("x", "todo", 40), version: 4 });
    const second = indexBoard(moved, first);
    // Both columns the card left and joined are new; the labels and checklists are not.
    expect(second.columns.get("todo" as ColumnId)).not.toBe(first.columns.get("todo" as ColumnId));
    expect(ids(second.columns.get("todo" as ColumnId))).toEqual(["a", "b", "c", "x"]);
    expect(second.columns.get("doing" as ColumnId)).toBeUndefined();
    expect(second.labels.get("a" as TaskId)).toBe(first.labels.get("a" as TaskId));
    expect(second.checklists.get("a" as TaskId)).toBe(first.checklists.get("a" as TaskId));

    const renamed = withTask(moved, { ...at("a", "todo", 10), title: "A!", version: 4 });
    const third = indexBoard(renamed, second);
    expect(ids(third.columns.get("todo" as ColumnId))).toEqual(["a", "b", "c", "x"]);
    expect(third.columns.get("todo" as ColumnId)?.[0]?.title).toBe("A!");
  });

  it("takes over whole what a change left alone, without going through it again", () => {
    const before = { ...board(), task_assignees: [{ task_id: "a" as TaskId, login: "ann" }] };
    const first = indexBoard(before);
    const moved = withTask(before, { ...at("x", "todo", 40), version: 4 });
    const second = indexBoard(moved, first);
    expect(second.assignees).toBe(first.assignees);
    expect(second.labels).toBe(first.labels);
    expect(second.checklists).toBe(first.checklists);
    expect(second.comments).toBe(first.comments);
    expect(second.columns).not.toBe(first.columns);
    // A new list of people is gone through again, keeping each card's unchanged list.
    const more = {
      ...moved,
      task_assignees: [...moved.task_assignees, { task_id: "b" as TaskId, login: "bo" }],
    };
    const third = indexBoard(more, second);
    expect(third.assignees).not.toBe(second.assignees);
    expect(third.assignees.get("a" as TaskId)).toBe(second.assignees.get("a" as TaskId));
    expect(third.assignees.get("b" as TaskId)).toEqual(["bo"]);
  });
});
