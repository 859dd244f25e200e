import { describe, expect, it } from "vitest";
import { Samples, percentile } from "./stats";

describe("percentile", () => {
  it("takes the nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 0.5)).toBe(50);
    expect(percentile(samples, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it("has nothing to say about no samples", () => {
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe("Samples", () => {
  it("keeps only the latest values", () => {
    const samples = new Samples(3);
    [1, 2, 3, 4].forEach((v) => samples.add(v));
    expect(samples.values).toEqual([2, 3, 4]);
  });
});
