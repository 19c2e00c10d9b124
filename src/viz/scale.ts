/**
 * Tick values and labels for chart axes, from d3-scale (nice 1-2-5 steps, consistent decimals,
 * log decades). The labels use d3's typographic minus sign (U+2212).
 */
import { scaleLinear, scaleLog } from 'd3-scale';

export interface Ticks {
  values: number[];
  labels: string[];
}

/** About `count` nice ticks inside [min, max] with d3's labels for them. */
export function linearTicks(min: number, max: number, count = 6): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { values: [], labels: [] };
  const s = scaleLinear().domain(min <= max ? [min, max] : [max, min]);
  const values = s.ticks(count);
  const maxAbs = Math.max(0, ...values.map(Math.abs));
  // d3's fixed-point labels get long below 1e-3 (0.000015): exponent notation there.
  const fmt = s.tickFormat(count, maxAbs > 0 && maxAbs < 1e-3 ? '~e' : undefined);
  return { values, labels: values.map(fmt) };
}

/**
 * Ticks of a log axis over [min, max] (both > 0). d3 proposes 1…9 multiples per decade and
 * labels a subset; only labelled ticks are kept, thinned to about `count`.
 */
export function logTicks(min: number, max: number, count = 6): Ticks {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return { values: [], labels: [] };
  const s = scaleLog().domain(min <= max ? [min, max] : [max, min]);
  const all = s.ticks(count);
  // '~g' rather than d3's default SI prefixes: 0.02 reads as "0.02", not "20m".
  const plain = s.tickFormat(count, '~g');
  const expo = s.tickFormat(count, '~e');
  const fmt = (v: number) => (plain(v) === '' ? '' : v < 1e-3 || v >= 1e5 ? expo(v) : plain(v));
  let values = all.filter((v) => fmt(v) !== '');
  if (values.length > count + 1) {
    const stride = Math.ceil(values.length / count);
    values = values.filter((_, i) => i % stride === 0);
  }
  return { values, labels: values.map(fmt) };
}
