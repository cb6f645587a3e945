/**
 * Colour maps shared by the PNG grids and the HTML heatmaps.
 *
 * - "gray": min-max normalisation, smallest value black (0), largest white (255).
 *   A constant image has no range: it is white if the constant is > 0, else black
 *   (so an all-zero ReLU map shows as black).
 * - "diverging": symmetric around 0 with m = max |v|: -m is blue, 0 is white, +m is red,
 *   linear in between. An all-zero image is white.
 * Non-finite values (NaN, ±Infinity) are ignored when computing the range and drawn magenta.
 */

export type Colormap = "gray" | "diverging";
export type Rgb = readonly [number, number, number];

export const NAN_COLOR: Rgb = [255, 0, 255];
export const DIVERGING_NEGATIVE: Rgb = [33, 102, 172];
export const DIVERGING_ZERO: Rgb = [255, 255, 255];
export const DIVERGING_POSITIVE: Rgb = [178, 24, 43];

/** The statistics a colour map needs, accumulated over one image or over a whole set. */
export interface ValueRange {
  min: number;
  max: number;
  /** Whether any finite value was seen. */
  any: boolean;
}

export function emptyRange(): ValueRange {
  return { min: Infinity, max: -Infinity, any: false };
}

export function extendRange(range: ValueRange, values: Iterable<number>): ValueRange {
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < range.min) range.min = v;
    if (v > range.max) range.max = v;
    range.any = true;
  }
  return range;
}

export function* flatValues(matrix: readonly (readonly number[])[]): Generator<number> {
  for (const row of matrix) for (const v of row) yield v;
}

function lerp(a: Rgb, b: Rgb, t: number): Rgb {
  return [Math.round(a[0] + (b[0] - a[0]) * t), Math.round(a[1] + (b[1] - a[1]) * t), Math.round(a[2] + (b[2] - a[2]) * t)];
}

/** Returns the value -> colour function of `colormap` for data whose range is `range`. */
export function colorizer(colormap: Colormap, range: ValueRange): (v: number) => Rgb {
  if (colormap === "diverging") {
    const m = range.any ? Math.max(Math.abs(range.min), Math.abs(range.max)) : 0;
    return (v) => {
      if (!Number.isFinite(v)) return NAN_COLOR;
      if (m === 0) return DIVERGING_ZERO;
      const s = Math.max(-1, Math.min(1, v / m));
      return s >= 0 ? lerp(DIVERGING_ZERO, DIVERGING_POSITIVE, s) : lerp(DIVERGING_ZERO, DIVERGING_NEGATIVE, -s);
    };
  }
  if (colormap !== "gray") throw new RangeError(`unknown colormap "${String(colormap)}" (use "gray" or "diverging")`);
  const { min, max } = range;
  const span = max - min;
  return (v) => {
    if (!Number.isFinite(v)) return NAN_COLOR;
    let g: number;
    if (!(span > 0)) g = v > 0 ? 255 : 0;
    else g = Math.round(((Math.max(min, Math.min(max, v)) - min) / span) * 255);
    return [g, g, g];
  };
}

/** Text colour (black or white) that stays readable on `background`. */
export function contrastText(background: Rgb): "#000" | "#fff" {
  const lum = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2];
  return lum >= 140 ? "#000" : "#fff";
}
