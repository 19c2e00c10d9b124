/**
 * The playground's numeric settings: reading them from the form with one message per bad
 * field, and the limits that keep a page responsive. Plain functions (no TF.js), so the page
 * itself stays small; the full check against the library's schema happens in the host
 * (config.ts).
 */
import type { LiveSettings } from './protocol.js';

/** Bounds beyond the schema's: a page must stay responsive (and a flow stable). */
const LIMITS = {
  eta: { min: 0, max: 10, int: false, strictMin: true, what: 'η (flow step size)' },
  noise: { min: 0, max: 5, int: false, strictMin: false, what: 'ν (flow noise)' },
  flowSteps: { min: 1, max: 1000, int: true, strictMin: false, what: 'K (flow steps)' },
  batch: { min: 2, max: 4096, int: true, strictMin: false, what: 'batch' },
  lr: { min: 0, max: 0.1, int: false, strictMin: true, what: 'learning rate' },
  seed: { min: 0, max: 2 ** 31 - 1, int: true, strictMin: false, what: 'seed' },
  iterations: { min: 1, max: 1_000_000, int: true, strictMin: false, what: 'iterations' },
} as const;

export type NumericField = keyof typeof LIMITS;
export const NUMERIC_FIELDS = Object.keys(LIMITS) as NumericField[];
export const LIVE_FIELDS: (keyof LiveSettings)[] = ['eta', 'noise', 'flowSteps', 'batch', 'lr', 'iterations'];

/** Parses one numeric field: the number, or a sentence saying what is wrong. */
export function parseField(field: NumericField, text: string): number | string {
  const lim = LIMITS[field];
  const t = text.trim();
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) return `${lim.what}: expected a number, got '${text}'`;
  if (lim.int && !Number.isInteger(v)) return `${lim.what}: expected a whole number, got ${t}`;
  if (lim.strictMin ? v <= lim.min : v < lim.min) return `${lim.what}: expected a number ${lim.strictMin ? '>' : '≥'} ${lim.min}, got ${t}`;
  if (v > lim.max) return `${lim.what}: at most ${lim.max} here (the page must stay responsive), got ${t}`;
  return v;
}

/** Most particle-steps (K × batch) one iteration may take here: paper-toy's 200 × 1024 fits. */
export const MAX_WORK = 262_144;

/** A sentence when K × batch is more work per iteration than a page should do, else null. */
export function workProblem(flowSteps: number, batch: number): string | null {
  const work = flowSteps * batch;
  return work > MAX_WORK
    ? `K × batch = ${flowSteps} × ${batch} = ${work} particle-steps per iteration: at most ${MAX_WORK} here (e.g. K 200 with batch 1024), or the page would wait seconds per iteration`
    : null;
}
