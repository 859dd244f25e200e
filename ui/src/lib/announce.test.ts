import { describe, expect, it } from "vitest";
import type { Board } from "../bindings/Board";
import type { Change } from "../bindings/Change";
import type { Origin } from "../bindings/Origin";
import { byWhom, cardDescription, changeSentence, together } from "./announce";
import { SHIP_CARD } from "./fixtures";

const board = {
  columns: [
    { id: "c", name: "To do" },
    { id: "d", name: "Done" },
  ],
} as unknown as Board;

const change = (op: Change["op"], data: object | null, previous: object | null): Change => ({
  seq: 1,
  op,
  entity: "task",
  entity_id: "t",
  project_id: "p",
  data: data as Record<string, unknown> | null,
  previous: previous as Record<string, unknown> | null,
  origin: null,
  at: 0,
});

const cli: Origin = { instance: "other", actor: "cli", window: null, mutation_id: null };

describe("what a screen reader hears", () => {
  it("says where a card stands and what it carries", () => {
    const card = { ...SHIP_CARD, priority: "high" as const, due_date: "2026-12-02" };
    expect(cardDescription(card, 1, 5, "Doing", "2026-12-01")).toBe(
      "2 of 5 in Doing, high priority, due tomorrow",
    );
    expect(cardDescription(SHIP_CARD, 0, 1, "To do", "2026-12-01")).toBe("1 of 1 in To do");
    const late = { ...SHIP_CARD, due_date: "2026-11-20" };
    expect(cardDescription(late, 0, 2, "To do", "2026-12-01")).toBe(
      "1 of 2 in To do, overdue since 2026-11-20",
    );
  });

  it("tells who made a change", () => {
    expect(byWhom(cli, "mine", false)).toBe(" by the command line");
    expect(byWhom(null, "mine", false)).toBe(" by another program");
    const gui: Origin = { ...cli, actor: "gui", window: "board-2" };
    expect(byWhom({ ...gui, instance: "mine" }, "mine", false)).toBe(" in another window");
    expect(byWhom(gui, "mine", false)).toBe(" by another copy of Tandem");
    expect(byWhom(gui, "mine", true)).toBe("");
  });

  it("names the person who made a change when it is someone else", () => {
    const gui: Origin = { ...cli, actor: "gui", window: "board-1" };
    expect(byWhom(gui, "mine", false, "Alice")).toBe(" by Alice");
    // Another program under Alice's login is Alice's too.
    expect(byWhom(null, "mine", false, "Alice")).toBe(" by Alice");
    expect(byWhom(gui, "mine", true, "Alice")).toBe("");
    const moved = change("update", { title: "Fix login", column_id: "d" }, { column_id: "c" });
    expect(changeSentence(board, moved, byWhom(cli, "mine", false, "Alice"))).toBe(
      "“Fix login” moved to Done by Alice",
    );
  });

  it("says what happened to a card, and nothing of what need not be heard", () => {
    const moved = change("update", { title: "Ship", column_id: "d" }, { column_id: "c" });
    expect(changeSentence(board, moved, " by the command line")).toBe(
      "“Ship” moved to Done by the command line",
    );
    const added = change("insert", { title: "Plan", column_id: "c" }, null);
    expect(changeSentence(board, added, "")).toBe("“Plan” added to To do");
    const gone = change("delete", null, { title: "Old" });
    expect(changeSentence(board, gone, "")).toBe("“Old” deleted");
    const archived = change("update", { title: "Ship", archived_at: 5 }, { archived_at: null });
    expect(changeSentence(board, archived, "")).toBe("“Ship” archived");
    const back = change("update", { title: "Ship", archived_at: null }, { archived_at: 5 });
    expect(changeSentence(board, back, "")).toBe("“Ship” restored");
    const renamed = change("update", { title: "Shipped" }, { title: "Ship" });
    expect(changeSentence(board, renamed, "")).toBeNull();
    expect(changeSentence(board, { ...added, entity: "subtask" }, "")).toBeNull();
  });

  it("says a burst as one sentence", () => {
    expect(together(["“A” moved to Done"])).toBe("“A” moved to Done.");
    expect(together(["“A” added", "“B” added", "“C” added", "“D” added"])).toBe(
      "4 cards changed: “A” added; “B” added; and 2 more.",
    );
  });
});
