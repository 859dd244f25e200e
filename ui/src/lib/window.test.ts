import { describe, expect, it } from "vitest";
import { covers, drawnBetween } from "./window";

/** `count` cards 50 px high with 8 px gaps. */
function offsets(count: number): Float64Array {
  const at = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) at[i + 1] = at[i]! + 58;
  return at;
}

describe("drawnBetween", () => {
  it("draws the cards that meet the view, and keeps room for the rest", () => {
    const drawn = drawnBetween(offsets(100), 8, 0, 500);
    // Cards 0..8 start above 500 px (8 × 58 = 464); card 9 starts at 522.
    expect(drawn).toEqual({ start: 0, end: 9, above: 0, below: 91 * 58 - 8 });
  });

  it("starts at the first card still in view once scrolled", () => {
    const drawn = drawnBetween(offsets(100), 8, 1000, 1500);
    // Card 17 spans 986..1044; card 25 starts at 1450, card 26 at 1508.
    expect(drawn.start).toBe(17);
    expect(drawn.end).toBe(26);
    expect(drawn.above).toBe(17 * 58 - 8);
    // The room above, a gap, the drawn cards (with gaps between them), a gap and the room
    // below make the list's whole height: 100 cards and 99 gaps.
    const cards = (drawn.end - drawn.start) * 58 - 8;
    expect(drawn.above + 8 + cards + 8 + drawn.below).toBe(100 * 50 + 99 * 8);
  });

  it("draws the last cards at the list's end, and nothing of an empty list", () => {
    expect(drawnBetween(offsets(100), 8, 99 * 58, 200 * 58)).toEqual({
      start: 99,
      end: 100,
      above: 99 * 58 - 8,
      below: 0,
    });
    expect(drawnBetween(offsets(0), 8, 0, 500)).toEqual({ start: 0, end: 0, above: 0, below: 0 });
  });
});

describe("covers", () => {
  it("says a scroll within what is drawn needs nothing drawn anew, and one past its edge does", () => {
    const at = offsets(100);
    const drawn = drawnBetween(at, 8, 1000, 1500);
    // Cards 17..25 are drawn: 986 px down to 1508 px.
    expect(covers(at, drawn, 1000, 1500)).toBe(true);
    expect(covers(at, drawn, 986, 1508)).toBe(true);
    expect(covers(at, drawn, 980, 1400)).toBe(false);
    expect(covers(at, drawn, 1100, 1520)).toBe(false);
  });

  it("has no edge to cross at the top or the bottom of the list", () => {
    const at = offsets(10);
    const all = drawnBetween(at, 8, 0, 10_000);
    expect(covers(at, all, -500, 50_000)).toBe(true);
  });
});
