import { describe, expect, it } from "vitest";
import { DEPTH, UndoHistory, type Step } from "./undo";

/** One entity with a value and a version, as the backend keeps them. */
function entity() {
  const state = { value: 0, version: 1 };
  const step = (by: number): Step => ({
    name: `add ${by}`,
    entity: "e",
    async run(direction, version) {
      if (version !== state.version) throw new Error("conflict");
      state.value += direction === "undo" ? -by : by;
      return ++state.version;
    },
  });
  /** Makes a change and records it, as the store does. */
  const change = (history: UndoHistory, by: number) => {
    state.value += by;
    history.record(step(by), ++state.version);
  };
  return { state, change };
}

describe("UndoHistory", () => {
  it("undoes and redoes one entity's changes in order", async () => {
    const { state, change } = entity();
    const history = new UndoHistory();
    change(history, 1);
    change(history, 10);
    expect(state.value).toBe(11);
    await history.undo();
    expect(state.value).toBe(1);
    await history.undo();
    expect(state.value).toBe(0);
    expect(history.canUndo).toBe(false);
    await history.redo();
    await history.redo();
    expect(state.value).toBe(11);
    expect(await history.redo()).toBeNull();
  });

  it("forgets what was undone once something new is done", async () => {
    const { change } = entity();
    const history = new UndoHistory();
    change(history, 1);
    await history.undo();
    expect(history.canRedo).toBe(true);
    change(history, 2);
    expect(history.canRedo).toBe(false);
  });

  it("refuses, and drops the step, when someone else changed the thing since", async () => {
    const { state, change } = entity();
    const history = new UndoHistory();
    change(history, 1);
    state.version++; // another window's edit
    await expect(history.undo()).rejects.toThrow("conflict");
    expect(state.value).toBe(1);
    expect(history.canUndo).toBe(false);
  });

  it("remembers a bounded number of steps", async () => {
    const { change } = entity();
    const history = new UndoHistory();
    for (let i = 0; i < DEPTH + 5; i++) change(history, 1);
    let undone = 0;
    while (await history.undo()) undone++;
    expect(undone).toBe(DEPTH);
  });
});
