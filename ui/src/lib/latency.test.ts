import { describe, expect, it } from "vitest";
import { MAX_REPORT, PendingLatencies } from "./latency";

describe("PendingLatencies", () => {
  it("hands over what was measured since the last report, once", () => {
    const pending = new PendingLatencies();
    pending.add(1_010, 1_000);
    pending.add(1_020.4, 1_000);
    expect(pending.take()).toEqual([10, 20]);
    expect(pending.take()).toEqual([]);
  });

  it("never reports a negative or unbelievable latency", () => {
    const pending = new PendingLatencies();
    pending.add(1_000, 1_003);
    pending.add(10_000_000, 0);
    expect(pending.take()).toEqual([0, 3_600_000]);
  });

  it("keeps only as many as one report may carry, the latest", () => {
    const pending = new PendingLatencies();
    for (let i = 0; i <= MAX_REPORT; i++) pending.add(i, 0);
    const taken = pending.take();
    expect(taken).toHaveLength(MAX_REPORT);
    expect(taken[0]).toBe(1);
    expect(taken[taken.length - 1]).toBe(MAX_REPORT);
  });
});
