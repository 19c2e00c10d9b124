/**
 * Axis scaling shared by every chart: nice tick values (linear and log), tick label formatting,
 * general number formatting, the default colour cycle and legend placement.
 */
import type { RGB } from './raster.js';

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
  samples: [31, 119, 180] as RGB,
  modes: [214, 39, 40] as RGB,
  text: [40, 40, 40] as RGB,
  muted: [110, 110, 110] as RGB,
  grid: [234, 234, 234] as RGB,
  frame: [190, 190, 190] as RGB,
  white: [255, 255, 255] as RGB,
};

/** A "nice" number (1, 2, 2.5, 5 times a power of ten) close to x (rounded) or above it. */
export function niceNum(x: number, round: boolean): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const e = Math.floor(Math.log10(x));
  const p = Math.pow(10, e);
  const f = x / p;
  let nf: number;
  if (round) nf = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nf * p;
}

/** Tick values at a nice step inside [min, max] (inclusive, with a little float slack). */
export function linearTicks(min: number, max: number, maxTicks = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const target = Math.max(2, maxTicks);
  let step = niceNum((max - min) / (target - 1), true);
  // Fewer ticks than asked is fine; more is not.
  while (Math.floor(max / step) - Math.ceil(min / step) + 1 > target) step = niceNum(step * 1.01, false);
  const eps = step * 1e-9;
  const out: number[] = [];
  for (let k = Math.ceil((min - eps) / step); k * step <= max + eps; k++) {
    const v = k * step;
    out.push(Math.abs(v) < eps ? 0 : Number(v.toPrecision(12)));
  }
  return out;
}

/**
 * Ticks for a log axis over [min, max] (both > 0): decades when at least two fit (thinned to
 * about maxTicks), else 1-2-5 multiples, else linear ticks.
 */
export function logTicks(min: number, max: number, maxTicks = 6): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  const lo = Math.log10(min) - 1e-9;
  const hi = Math.log10(max) + 1e-9;
  const d0 = Math.ceil(lo);
  const d1 = Math.floor(hi);
  const multiples = (ms: number[]): number[] => {
    const out: number[] = [];
    for (let d = Math.floor(lo); d <= d1; d++) {
      for (const m of ms) {
        const v = Number(`${m}e${d}`);
        if (Math.log10(v) >= lo && Math.log10(v) <= hi) out.push(v);
      }
    }
    return out;
  };
  // Short ranges: 1-2-5 (or 1-3) multiples when they are not too many.
  for (const ms of [[1, 2, 5], [1, 3]]) {
    const c = multiples(ms);
    if (c.length >= 3 && c.length <= maxTicks + 1) return c;
  }
  if (d1 - d0 + 1 >= 2) {
    const n = d1 - d0 + 1;
    const stride = Math.max(1, Math.ceil(n / maxTicks));
    const out: number[] = [];
    for (let d = d0; d <= d1; d++) if ((d - d0) % stride === 0) out.push(Number(`1e${d}`));
    return out;
  }
  const out = multiples([1, 2, 5]);
  if (out.length >= 2) return out;
  return linearTicks(min, max, Math.min(maxTicks, 4)).filter((v) => v > 0);
}

function trimExp(s: string): string {
  // "2.50e-4" -> "2.5e-4", "1.0e+5" -> "1e5"
  const [m, e] = s.split('e');
  let mant = m;
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
  const exp = Number(e);
  return exp === 0 ? mant : `${mant}e${exp}`;
}

/**
 * Labels for a set of tick values, with a consistent number of decimals, "k"/"M" suffixes for
 * large round values and exponent notation for very small or very large ones.
 */
export function formatTicks(values: readonly number[]): string[] {
  if (values.length === 0) return [];
  const finite = values.filter(Number.isFinite);
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (maxAbs === 0) return values.map((v) => (v === 0 ? '0' : String(v)));
  const isMult = (v: number, m: number) => Math.abs(v / m - Math.round(v / m)) < 1e-9;
  if (maxAbs >= 1e7 && finite.every((v) => isMult(v, 1e6))) return values.map((v) => (v === 0 ? '0' : `${v / 1e6}M`));
  if (maxAbs >= 1e4 && maxAbs < 1e7 && finite.every((v) => isMult(v, 1e3))) {
    return values.map((v) => (v === 0 ? '0' : `${Number((v / 1e3).toPrecision(6))}k`));
  }
  let decimals = -1;
  for (let d = 0; d <= 6; d++) {
    if (finite.every((v) => Math.abs(Number(v.toFixed(d)) - v) <= 1e-9 * Math.max(1, Math.abs(v)))) {
      decimals = d;
      break;
    }
  }
  if (maxAbs >= 1e6 || maxAbs < 1e-3 || decimals < 0 || (decimals > 4 && maxAbs < 0.01)) {
    let digits = 0;
    for (; digits < 6; digits++) {
      if (finite.every((v) => Math.abs(Number(v.toExponential(digits)) - v) <= 1e-9 * Math.abs(v))) break;
    }
    return values.map((v) => (v === 0 ? '0' : trimExp(v.toExponential(digits))));
  }
  return values.map((v) => {
    const s = v.toFixed(decimals);
    return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
  });
}

/** Labels for log-axis ticks: plain where short (0.001 … 10000), else 1e-5 style. */
export function formatLogTicks(values: readonly number[]): string[] {
  return values.map((v) => {
    if (v >= 1e-3 && v < 1e5) return String(Number(v.toPrecision(6)));
    return trimExp(v.toExponential(3));
  });
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
  const ticks = log ? logTicks(min, max, maxTicks) : linearTicks(min, max, maxTicks);
  return { min, max, log, ticks, labels: log ? formatLogTicks(ticks) : formatTicks(ticks) };
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
