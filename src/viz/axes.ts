/**
 * Axis scaling shared by every chart: axes with d3 ticks (scale.ts), general number formatting,
 * the default colour cycle and legend placement.
 */
import type { RGB } from './raster.js';
import { linearTicks, logTicks } from './scale.js';

/** Matplotlib's "tab10" cycle: distinct, colour-blind-friendlier than pure hues. */
export const PALETTE: readonly RGB[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** Named colours for the usual 2D pictures: data light grey, samples blue, modes red. */
export const COLORS = {
  data: [175, 175, 175] as RGB,
  /** Data in a panel of its own: a darker grey. */
  dataAlone: [120, 120, 120] as RGB,
  samples: [31, 119, 180] as RGB,
  modes: [214, 39, 40] as RGB,
  text: [40, 40, 40] as RGB,
  muted: [110, 110, 110] as RGB,
  grid: [234, 234, 234] as RGB,
  frame: [190, 190, 190] as RGB,
  white: [255, 255, 255] as RGB,
};

function trimExp(s: string): string {
  // "2.50e-4" -> "2.5e-4", "1.0e+5" -> "1e5"
  const [m, e] = s.split('e');
  let mant = m;
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  const exp = Number(e);
  return exp === 0 ? mant : `${mant}e${exp}`;
}

/**
 * A number for people: integers as they are (below 1e9), otherwise `digits` significant digits
 * without trailing zeros, exponent notation for very large or small magnitudes; NaN as "NaN".
 */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e9) return String(v);
  if (a >= 1e6 || a < 1e-3) return trimExp(v.toExponential(digits - 1));
  const s = v.toPrecision(digits);
  if (s.includes('e')) return trimExp(Number(s).toExponential(digits - 1));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** One axis: data range, scale, ticks and their labels. */
export interface Axis {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  labels: string[];
}

/**
 * Builds an axis covering `values` (non-finite ignored; for log axes non-positive too).
 * `pad` is a fraction of the range added on each side (in log space for log axes). A single
 * value or a constant gets a small symmetric range around it; no values give [0, 1] ([1, 10]).
 */
export function makeAxis(values: Iterable<number>, opts: { log?: boolean; pad?: number; maxTicks?: number } = {}): Axis {
  const log = opts.log ?? false;
  const pad = opts.pad ?? 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && !(v > 0))) continue;
    const t = log ? Math.log10(v) : v;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (lo > hi) {
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    const d = log ? 0.3 : Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  } else {
    const d = (hi - lo) * pad;
    lo -= d;
    hi += d;
  }
  const min = log ? Math.pow(10, lo) : lo;
  const max = log ? Math.pow(10, hi) : hi;
  const maxTicks = opts.maxTicks ?? 6;
  const t = log ? logTicks(min, max, maxTicks) : linearTicks(min, max, maxTicks);
  return { min, max, log, ticks: t.values, labels: t.labels };
}

/** Maps a data value to [0, 1] along the axis (NaN for values a log axis cannot show). */
export function axisFraction(axis: Axis, v: number): number {
  if (axis.log) {
    if (!(v > 0)) return NaN;
    return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  }
  return (v - axis.min) / (axis.max - axis.min);
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Chooses where a legend box of size w x h goes inside `plot` (a margin of `inset` px from the
 * edges): the corner covering the fewest of the given pixel points, top-right on ties.
 */
export function pickLegendCorner(
  plot: Rect,
  w: number,
  h: number,
  points: (visit: (px: number, py: number) => void) => void,
  inset = 8,
): Rect {
  const right = plot.x + plot.w - inset - w;
  const left = plot.x + inset;
  const top = plot.y + inset;
  const bottom = plot.y + plot.h - inset - h;
  const cands: Rect[] = [
    { x: right, y: top, w, h },
    { x: left, y: top, w, h },
    { x: right, y: bottom, w, h },
    { x: left, y: bottom, w, h },
  ];
  const counts = [0, 0, 0, 0];
  points((px, py) => {
    for (let k = 0; k < 4; k++) {
      const c = cands[k];
      if (px >= c.x - 2 && px <= c.x + c.w + 2 && py >= c.y - 2 && py <= c.y + c.h + 2) counts[k]++;
    }
  });
  let best = 0;
  for (let k = 1; k < 4; k++) if (counts[k] < counts[best]) best = k;
  return cands[best];
}
