/**
 * Thin-support 2-D targets of our own (issue 19): curves with little noise, where a sampler that
 * smears mass off the curve or splits it unevenly between the parts shows. Each is within
 * about ±3.2 and adds N(0, THIN_SIGMA²) per coordinate (0.8% of its spread).
 *
 *   circles   two concentric circles of radius 1 and 3, equal mass (so the inner one is 3×
 *             denser per unit length)
 *   spiral    one Archimedean spiral, radius 0.3 → 3 over 2.5 turns, uniform along its length
 *   segments  3×3 grid of line segments of length 1.5, centres 2 apart, horizontal and vertical
 *             in turn, equal mass
 */
import type { Rng } from '../util/rng.js';
import { curve, type Support, type SupportShape } from './support.js';
import { checkN } from './toy-util.js';

/** Noise std of the thin targets (per coordinate). */
export const THIN_SIGMA = 0.05;

// ---- circles ------------------------------------------------------------------------------

export const CIRCLE_RADII: readonly number[] = [1, 3];

/** Circle chosen uniformly, angle uniform, + N(0, σ²) per coordinate. */
export function circles(n: number, rng: Rng): Float32Array {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = CIRCLE_RADII[rng.int(CIRCLE_RADII.length)];
    const a = 2 * Math.PI * rng.uniform();
    out[2 * i] = r * Math.cos(a) + THIN_SIGMA * rng.normal();
    out[2 * i + 1] = r * Math.sin(a) + THIN_SIGMA * rng.normal();
  }
  return out;
}

export const CIRCLES_SUPPORT: Support = {
  partKind: 'circle',
  parts: CIRCLE_RADII.map((r): SupportShape => ({ kind: 'circle', cx: 0, cy: 0, r })),
  sigma: THIN_SIGMA,
};

// ---- spiral -------------------------------------------------------------------------------

const SPIRAL_R0 = 0.3;
const SPIRAL_R1 = 3;
const SPIRAL_TURNS = 2.5;
const SPIRAL_THETA = 2 * Math.PI * SPIRAL_TURNS;

/** The spiral at angle θ ∈ [0, 2π·2.5]: radius grows linearly from 0.3 to 3. */
function spiralAt(theta: number): [number, number] {
  const r = SPIRAL_R0 + ((SPIRAL_R1 - SPIRAL_R0) * theta) / SPIRAL_THETA;
  return [r * Math.cos(theta), r * Math.sin(theta)];
}

/** Arc length s(θ) on a fine grid, to draw θ uniformly in length (inverse CDF, linear interpolation). */
const SPIRAL_GRID = 4096;
const SPIRAL_LENGTH: Float64Array = (() => {
  const s = new Float64Array(SPIRAL_GRID + 1);
  let [px, py] = spiralAt(0);
  for (let k = 1; k <= SPIRAL_GRID; k++) {
    const [x, y] = spiralAt((SPIRAL_THETA * k) / SPIRAL_GRID);
    s[k] = s[k - 1] + Math.hypot(x - px, y - py);
    [px, py] = [x, y];
  }
  return s;
})();

/** The angle at which the spiral has covered `fraction` of its length. */
function spiralThetaAtFraction(fraction: number): number {
  const target = fraction * SPIRAL_LENGTH[SPIRAL_GRID];
  let lo = 0;
  let hi = SPIRAL_GRID;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (SPIRAL_LENGTH[mid] <= target) lo = mid;
    else hi = mid;
  }
  const span = SPIRAL_LENGTH[hi] - SPIRAL_LENGTH[lo];
  const t = span > 0 ? (target - SPIRAL_LENGTH[lo]) / span : 0;
  return (SPIRAL_THETA * (lo + t)) / SPIRAL_GRID;
}

/** A point uniform along the spiral's length + N(0, σ²) per coordinate. */
export function spiral(n: number, rng: Rng): Float32Array {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = spiralAt(spiralThetaAtFraction(rng.uniform()));
    out[2 * i] = x + THIN_SIGMA * rng.normal();
    out[2 * i + 1] = y + THIN_SIGMA * rng.normal();
  }
  return out;
}

/** Parts: the inner, middle and outer third of the spiral's length (equal mass). */
export const SPIRAL_SUPPORT: Support = {
  partKind: 'arc',
  parts: [0, 1, 2].map((k) => curve(spiralAt, spiralThetaAtFraction(k / 3), spiralThetaAtFraction((k + 1) / 3))),
  sigma: THIN_SIGMA,
};

// ---- segments -----------------------------------------------------------------------------

const SEGMENT_HALF = 0.75;
/** Centre and orientation of each segment: (x, y, horizontal). */
const SEGMENTS: ReadonlyArray<readonly [number, number, boolean]> = [-2, 0, 2].flatMap((y, j) =>
  [-2, 0, 2].map((x, i) => [x, y, (i + j) % 2 === 0] as const),
);

/** Segment chosen uniformly, position uniform along it, + N(0, σ²) per coordinate. */
export function segments(n: number, rng: Rng): Float32Array {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [cx, cy, horizontal] = SEGMENTS[rng.int(SEGMENTS.length)];
    const u = (2 * rng.uniform() - 1) * SEGMENT_HALF;
    out[2 * i] = cx + (horizontal ? u : 0) + THIN_SIGMA * rng.normal();
    out[2 * i + 1] = cy + (horizontal ? 0 : u) + THIN_SIGMA * rng.normal();
  }
  return out;
}

export const SEGMENTS_SUPPORT: Support = {
  partKind: 'segment',
  parts: SEGMENTS.map(([cx, cy, horizontal]): SupportShape => {
    const [dx, dy] = horizontal ? [SEGMENT_HALF, 0] : [0, SEGMENT_HALF];
    return { kind: 'polyline', points: Float64Array.from([cx - dx, cy - dy, cx + dx, cy + dy]) };
  }),
  sigma: THIN_SIGMA,
};
