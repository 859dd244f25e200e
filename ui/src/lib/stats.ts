// Small statistics for the diagnostics panel.

/** The `p`-th percentile (0..1) of `samples`, nearest-rank; `null` when there are none. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

/** A bounded window of the latest samples. */
export class Samples {
  #values: number[] = [];
  constructor(readonly capacity: number) {}

  add(value: number): void {
    this.#values.push(value);
    if (this.#values.length > this.capacity) this.#values.shift();
  }

  get values(): readonly number[] {
    return this.#values;
  }
}
