// Which cards a long column draws: those whose boxes meet the part of the list in view (and a
// margin around it), and the room kept for the others so the list keeps its full height. Pure,
// so tested on its own; the column measures the boxes and the view.

/** Cards drawn from `start` up to (not including) `end`, and the room above and below them. */
export interface Drawn {
  start: number;
  end: number;
  above: number;
  below: number;
}

/**
 * The cards whose boxes meet `from`..`to` (px from the list's top), given where each card's box
 * starts, gap included (`offsets`: one more entry than cards, the last being the list's end),
 * and the gap between cards, which the room above and below leaves out.
 */
export function drawnBetween(offsets: Float64Array, gap: number, from: number, to: number): Drawn {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0, above: 0, below: 0 };
  const start = firstEndingAfter(offsets, from);
  const end = Math.min(count, firstEndingAfter(offsets, to) + 1);
  return {
    start,
    end,
    above: start > 0 ? offsets[start]! - gap : 0,
    below: end < count ? offsets[count]! - offsets[end]! - gap : 0,
  };
}

/**
 * Whether the cards `drawn` cover `from`..`to` (px from the list's top): while they do, a scroll
 * needs nothing drawn anew.
 */
export function covers(offsets: Float64Array, drawn: Drawn, from: number, to: number): boolean {
  const count = offsets.length - 1;
  const top = drawn.start > 0 ? offsets[drawn.start]! : -Infinity;
  const bottom = drawn.end < count ? offsets[drawn.end]! : Infinity;
  return from >= top && to <= bottom;
}

/** The first card whose box ends below `y` (the last card if none does). */
function firstEndingAfter(offsets: Float64Array, y: number): number {
  let low = 0;
  let high = offsets.length - 2;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (offsets[mid + 1]! > y) high = mid;
    else low = mid + 1;
  }
  return low;
}
