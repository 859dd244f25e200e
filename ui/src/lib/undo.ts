// Undo and redo of a window's own changes, as compensating writes through the normal path:
// every other window sees them as ordinary changes. Each step is sent expecting the version
// this window's own last write left the entity at, so when someone else has changed it since,
// the backend refuses with a conflict: reported, never forced.

/** One change of this window's that can be taken back and made again. */
export interface Step {
  /** What it did, for messages: "move of “Plan”". */
  name: string;
  /** The entity it changed: a step expects the version this window last left it at. */
  entity: string;
  /**
   * Makes the change again (`redo`) or its opposite (`undo`), expecting the entity at
   * `version`; resolves with the version it leaves.
   */
  run(direction: "undo" | "redo", version: number): Promise<number>;
}

/** How many steps a window remembers. */
export const DEPTH = 100;

export class UndoHistory {
  #done: Step[] = [];
  #undone: Step[] = [];
  /** Each entity's version as this window's own last write left it. */
  #versions = new Map<string, number>();

  /** Records a change just made, which left its entity at `version`; what was undone can no
   * longer be redone. */
  record(step: Step, version: number): void {
    this.#versions.set(step.entity, version);
    this.#done.push(step);
    if (this.#done.length > DEPTH) this.#done.shift();
    this.#undone = [];
  }

  get canUndo(): boolean {
    return this.#done.length > 0;
  }

  get canRedo(): boolean {
    return this.#undone.length > 0;
  }

  /** Undoes the latest step; `null` when there is none. A step that fails is dropped, and
   * its error thrown. */
  async undo(): Promise<Step | null> {
    return this.#move(this.#done, this.#undone, "undo");
  }

  /** Redoes the latest undone step; `null` when there is none. */
  async redo(): Promise<Step | null> {
    return this.#move(this.#undone, this.#done, "redo");
  }

  async #move(from: Step[], to: Step[], direction: "undo" | "redo"): Promise<Step | null> {
    const step = from.pop();
    if (!step) return null;
    const version = this.#versions.get(step.entity) ?? 0;
    this.#versions.set(step.entity, await step.run(direction, version));
    to.push(step);
    return step;
  }
}
