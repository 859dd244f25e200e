// Commit→apply latency: measured here, as each change is applied, and reported to the backend
// about once a second. The backend keeps each window's latest figures for `status`, the
// diagnostics panel and `tandem status`.

/** The most samples one report may carry (the backend refuses more). */
export const MAX_REPORT = 10_000;
/** The longest latency the backend believes: an hour. */
const MAX_MS = 3_600_000;

/** The latencies measured since the last report. */
export class PendingLatencies {
  #samples: number[] = [];

  /**
   * Records the latency of a change committed at `at` and applied at `now` (both ms since the
   * epoch). Processes' clocks can disagree by a hair, so it is never negative.
   */
  add(now: number, at: number): void {
    this.#samples.push(Math.min(MAX_MS, Math.max(0, Math.round(now - at))));
    if (this.#samples.length > MAX_REPORT) {
      this.#samples.splice(0, this.#samples.length - MAX_REPORT);
    }
  }

  /** Everything recorded since the last call, oldest first. */
  take(): number[] {
    const samples = this.#samples;
    this.#samples = [];
    return samples;
  }
}
