/**
 * 2-D toy distributions, matching the generators the DGGF authors trained on
 * (clear-nus/fdrl `src/dataset.py`, itself from wgan-gp's `gan_toy.py`: 8gaussians,
 * 25gaussians, swissroll) and the FFJORD `toy_data.py` ones (checkerboard, moons, rings,
 * pinwheel, 2spirals). Each keeps the scale its source defines — they differ:
 *
 *   8gaussians   ring of radius 2/1.414 ≈ 1.414, points within about ±1.5
 *   25gaussians  5×5 grid, centres at ±1.414 / ±0.707 / 0, points within about ±1.5
 *   swissroll    within about ±1.7 (x) / ±1.6 (y)
 *   checkerboard [−4, 4)²
 *   moons        about [−3.2, 3.2] × [−1.5, 1.5]
 *   rings        radii 3, 2.25, 1.5, 0.75 (+ N(0, 0.08²) noise), so within about ±3.3
 *   pinwheel     within about ±4
 *   2spirals     within about ±3.5
 *
 * and three thin targets of our own (./toy-thin.ts): circles, spiral, segments. Every target
 * carries its support (./support.ts): the noise-free centres, curves or cells, in parts, and
 * its noise σ, so samples can be checked against it (src/eval/support.ts).
 *
 * Every generator is `(n, rng) => Float32Array` (row-major n×2) and takes all its randomness
 * from `rng` in a fixed order, so the same seed gives the same points.
 */
import type { Rng } from '../util/rng.js';
import { checkN, shuffleRows2 } from './toy-util.js';
import { curve, pointParts, type Support } from './support.js';
import { CIRCLES_SUPPORT, SEGMENTS_SUPPORT, SPIRAL_SUPPORT, circles, segments, spiral } from './toy-thin.js';

export type ToyGenerator = (n: number, rng: Rng) => Float32Array;

export interface ToyDatasetSpec {
  description: string;
  generate: ToyGenerator;
  /** The noise-free set the generator draws around, in parts, with its noise σ. */
  support: Support;
  /** Mode centres, row-major k×2 (mixture toys only). */
  modes?: Float32Array;
  /** Per-coordinate std of each mode, in the same (scaled) units as the samples. */
  modeStd?: number;
}

// ---- 8gaussians (fdrl / wgan-gp) -------------------------------------------------------

const EIGHT_SCALE = 2;
const EIGHT_STD = 0.02;
const EIGHT_DIV = 1.414;
const S = 1 / Math.sqrt(2);
const EIGHT_CENTRES: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [S, S],
  [S, -S],
  [-S, S],
  [-S, -S],
].map(([x, y]) => [EIGHT_SCALE * x, EIGHT_SCALE * y] as const);

/** Centre (scale 2) chosen uniformly + N(0, 0.02²) per coordinate, then everything / 1.414. */
export const eightGaussians: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = EIGHT_CENTRES[rng.int(8)];
    const nx = rng.normal();
    const ny = rng.normal();
    out[2 * i] = (c[0] + EIGHT_STD * nx) / EIGHT_DIV;
    out[2 * i + 1] = (c[1] + EIGHT_STD * ny) / EIGHT_DIV;
  }
  return out;
};

const EIGHT_MODES = Float32Array.from(EIGHT_CENTRES.flatMap(([x, y]) => [x / EIGHT_DIV, y / EIGHT_DIV]));

// ---- 25gaussians (fdrl / wgan-gp) ------------------------------------------------------

const TWENTYFIVE_STD = 0.05;
const TWENTYFIVE_DIV = 2.828;
const TWENTYFIVE_CENTRES: Array<[number, number]> = [];
for (let x = -2; x <= 2; x++) for (let y = -2; y <= 2; y++) TWENTYFIVE_CENTRES.push([2 * x, 2 * y]);

/**
 * Grid centres (2x, 2y), x, y ∈ −2..2, + N(0, 0.05²), all / 2.828. The authors draw a fixed
 * 100k-point set once and cycle through it; we draw fresh points (each centre chosen
 * uniformly), which is the same distribution.
 */
export const twentyFiveGaussians: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = TWENTYFIVE_CENTRES[rng.int(25)];
    const nx = rng.normal();
    const ny = rng.normal();
    out[2 * i] = (c[0] + TWENTYFIVE_STD * nx) / TWENTYFIVE_DIV;
    out[2 * i + 1] = (c[1] + TWENTYFIVE_STD * ny) / TWENTYFIVE_DIV;
  }
  return out;
};

const TWENTYFIVE_MODES = Float32Array.from(
  TWENTYFIVE_CENTRES.flatMap(([x, y]) => [x / TWENTYFIVE_DIV, y / TWENTYFIVE_DIV]),
);

// ---- swissroll (fdrl: sklearn make_swiss_roll, noise 0.25, /7.5) ---------------------------

/** t = 1.5π(1 + 2u); (t cos t, t sin t) + N(0, 0.25²) each; the dropped y axis is not drawn; / 7.5. */
export const swissRoll: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  const noise = 0.25;
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    const x = t * Math.cos(t) + noise * rng.normal();
    const z = t * Math.sin(t) + noise * rng.normal();
    out[2 * i] = x / 7.5;
    out[2 * i + 1] = z / 7.5;
  }
  return out;
};

/** Parts: three equal ranges of t (a third of the mass each; the generator draws t uniformly). */
const SWISSROLL_SUPPORT: Support = {
  partKind: 'arc',
  parts: [0, 1, 2].map((k) =>
    curve((t) => [(t * Math.cos(t)) / 7.5, (t * Math.sin(t)) / 7.5], 1.5 * Math.PI * (1 + (2 * k) / 3), 1.5 * Math.PI * (1 + (2 * (k + 1)) / 3)),
  ),
  sigma: 0.25 / 7.5,
};

// ---- FFJORD toys --------------------------------------------------------------------------

/** x1 ~ U(−2, 2); x2 = U(0, 1) − 2·randint(0, 2) + (floor(x1) mod 2); (x1, x2)·2 → [−4, 4)². */
export const checkerboard: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x1 = rng.uniform() * 4 - 2;
    const x2_ = rng.uniform() - rng.int(2) * 2;
    const f = Math.floor(x1);
    const x2 = x2_ + (((f % 2) + 2) % 2); // Python's non-negative modulo
    out[2 * i] = 2 * x1;
    out[2 * i + 1] = 2 * x2;
  }
  return out;
};

/** The eight filled 2×2 cells: column x ∈ [2f, 2f + 2), rows by the parity of f. */
const CHECKERBOARD_SUPPORT: Support = {
  partKind: 'cell',
  parts: [-2, -1, 0, 1].flatMap((f) =>
    (((f % 2) + 2) % 2 === 0 ? [0, -4] : [2, -2]).map((y0) => ({ kind: 'box' as const, x0: 2 * f, y0, x1: 2 * f + 2, y1: y0 + 2 })),
  ),
  sigma: 0,
};

/**
 * sklearn make_moons(n, noise=0.1): ⌊n/2⌋ outer points (cos s, sin s) and ⌈n/2⌉ inner points
 * (1 − cos s, 1 − sin s − 0.5) at evenly spaced s ∈ [0, π] (endpoints included), shuffled,
 * + N(0, 0.1²); then ·2 + (−1, −0.2).
 */
export const moons: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const lin = (k: number, count: number): number => (count > 1 ? (Math.PI * k) / (count - 1) : 0);
  for (let k = 0; k < nOut; k++) {
    const s = lin(k, nOut);
    out[2 * k] = Math.cos(s);
    out[2 * k + 1] = Math.sin(s);
  }
  for (let k = 0; k < nIn; k++) {
    const s = lin(k, nIn);
    out[2 * (nOut + k)] = 1 - Math.cos(s);
    out[2 * (nOut + k) + 1] = 1 - Math.sin(s) - 0.5;
  }
  shuffleRows2(out, rng);
  for (let i = 0; i < n; i++) {
    const x = out[2 * i] + 0.1 * rng.normal();
    const y = out[2 * i + 1] + 0.1 * rng.normal();
    out[2 * i] = 2 * x - 1;
    out[2 * i + 1] = 2 * y - 0.2;
  }
  return out;
};

/** The outer moon: half circle of radius 2 about (−1, −0.2), upper half; the inner one: about (1, 0.8), lower half. */
const MOONS_SUPPORT: Support = {
  partKind: 'moon',
  parts: [
    curve((s) => [2 * Math.cos(s) - 1, 2 * Math.sin(s) - 0.2], 0, Math.PI),
    curve((s) => [1 - 2 * Math.cos(s), 0.8 - 2 * Math.sin(s)], 0, Math.PI),
  ],
  sigma: 0.2,
};

/** Radii of the four rings, after FFJORD's ×3. */
export const RING_RADII: readonly number[] = [3, 2.25, 1.5, 0.75];

/**
 * Four concentric circles of radius 1, .75, .5, .25 (×3): ⌊n/4⌋ points on each of the three
 * outer ones and the rest on the innermost, at evenly spaced angles (endpoint excluded);
 * rows shuffled; + N(0, 0.08²) per coordinate.
 */
export const rings: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  const q = Math.floor(n / 4);
  const counts = [q, q, q, n - 3 * q];
  let row = 0;
  for (let r = 0; r < 4; r++) {
    const c = counts[r];
    for (let k = 0; k < c; k++) {
      const a = (2 * Math.PI * k) / c;
      out[2 * row] = RING_RADII[r] * Math.cos(a);
      out[2 * row + 1] = RING_RADII[r] * Math.sin(a);
      row++;
    }
  }
  shuffleRows2(out, rng);
  for (let i = 0; i < 2 * n; i++) out[i] = out[i] + 0.08 * rng.normal();
  return out;
};

const RINGS_SUPPORT: Support = {
  partKind: 'ring',
  parts: RING_RADII.map((r) => ({ kind: 'circle' as const, cx: 0, cy: 0, r })),
  sigma: 0.08,
};

/**
 * 5 arms; per point f = (1 + 0.3·ξ₁, 0.1·ξ₂), angle = 2πc/5 + 0.25·exp(f₀), point = f rotated by
 * angle (row vector times [[cos, −sin], [sin, cos]] as in FFJORD), rows shuffled, ×2. FFJORD
 * makes ⌊n/5⌋ per arm; we label point i with arm i mod 5 so exactly n points come back.
 */
export const pinwheel: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  const radialStd = 0.3;
  const tangentialStd = 0.1;
  const numClasses = 5;
  const rate = 0.25;
  for (let i = 0; i < n; i++) {
    const f0 = rng.normal() * radialStd + 1;
    const f1 = rng.normal() * tangentialStd;
    const label = i % numClasses;
    const angle = (2 * Math.PI * label) / numClasses + rate * Math.exp(f0);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    // einsum("ti,tij->tj") with R = [[c, -s], [s, c]]: (f0 c + f1 s, −f0 s + f1 c)
    out[2 * i] = 2 * (f0 * c + f1 * s);
    out[2 * i + 1] = 2 * (-f0 * s + f1 * c);
  }
  shuffleRows2(out, rng);
  return out;
};

/**
 * Arm c of the pinwheel without the tangential noise (f₁ = 0): 2·f₀·(cos a, −sin a) with
 * a = 2πc/5 + 0.25·exp(f₀), for f₀ within 4 std of its mean 1; the noise 2·f₁ moves a point
 * across the arm, σ = 0.2.
 */
const PINWHEEL_SUPPORT: Support = {
  partKind: 'arm',
  parts: [0, 1, 2, 3, 4].map((c) =>
    curve(
      (f0) => {
        const a = (2 * Math.PI * c) / 5 + 0.25 * Math.exp(f0);
        return [2 * f0 * Math.cos(a), -2 * f0 * Math.sin(a)];
      },
      1 - 4 * 0.3,
      1 + 4 * 0.3,
    ),
  ),
  sigma: 0.2,
};

/**
 * FFJORD 2spirals: t = sqrt(u)·540·2π/360; d1 = (−cos(t)·t + v·0.5, sin(t)·t + w·0.5) with
 * u, v, w independent U(0, 1) (as in the source, three separate uniform draws); the first
 * ⌈n/2⌉ rows are d1, the rest −d1 (each its own draw); all /3; + N(0, 0.1²) per coordinate.
 */
export const twoSpirals: ToyGenerator = (n, rng) => {
  checkN(n);
  const out = new Float32Array(2 * n);
  const half = Math.ceil(n / 2);
  const k = (540 * 2 * Math.PI) / 360;
  for (let i = 0; i < n; i++) {
    const t = Math.sqrt(rng.uniform()) * k;
    const sign = i < half ? 1 : -1;
    const x = -Math.cos(t) * t + rng.uniform() * 0.5;
    const y = Math.sin(t) * t + rng.uniform() * 0.5;
    out[2 * i] = (sign * x) / 3 + 0.1 * rng.normal();
    out[2 * i + 1] = (sign * y) / 3 + 0.1 * rng.normal();
  }
  return out;
};

/**
 * The two arms at the centre of their uniform offset ((0.25, 0.25)/3, ± by arm), t ∈ [0, 3π];
 * σ combines the offset's spread (U(0, 0.5)/3, std 0.048) and the N(0, 0.1²) noise: 0.111.
 */
const TWO_SPIRALS_SUPPORT: Support = {
  partKind: 'arm',
  parts: [1, -1].map((sign) =>
    curve((t) => [(sign * (-Math.cos(t) * t + 0.25)) / 3, (sign * (Math.sin(t) * t + 0.25)) / 3], 0, 3 * Math.PI),
  ),
  sigma: Math.sqrt(0.1 ** 2 + (0.5 / 3) ** 2 / 12),
};

// ---- registry ----------------------------------------------------------------------------

export type ToyName =
  | '8gaussians'
  | '25gaussians'
  | 'swissroll'
  | 'checkerboard'
  | 'moons'
  | 'rings'
  | 'pinwheel'
  | '2spirals'
  | 'circles'
  | 'spiral'
  | 'segments';

export const TOY_DATASETS: Readonly<Record<ToyName, ToyDatasetSpec>> = {
  '8gaussians': {
    description: '8 Gaussians on a circle of radius ≈1.414, std 0.02/1.414 (DGGF/wgan-gp)',
    generate: eightGaussians,
    modes: EIGHT_MODES,
    modeStd: EIGHT_STD / EIGHT_DIV,
    support: { partKind: 'mode', parts: pointParts(EIGHT_MODES), sigma: EIGHT_STD / EIGHT_DIV },
  },
  '25gaussians': {
    description: '5×5 grid of Gaussians within ±1.414, std 0.05/2.828 (DGGF/wgan-gp)',
    generate: twentyFiveGaussians,
    modes: TWENTYFIVE_MODES,
    modeStd: TWENTYFIVE_STD / TWENTYFIVE_DIV,
    support: { partKind: 'mode', parts: pointParts(TWENTYFIVE_MODES), sigma: TWENTYFIVE_STD / TWENTYFIVE_DIV },
  },
  swissroll: {
    description: 'Swiss roll (sklearn, noise 0.25) / 7.5, within about ±1.7 (DGGF/wgan-gp)',
    generate: swissRoll,
    support: SWISSROLL_SUPPORT,
  },
  checkerboard: {
    description: 'Checkerboard of 8 filled unit-2 squares on [−4, 4)² (FFJORD)',
    generate: checkerboard,
    support: CHECKERBOARD_SUPPORT,
  },
  moons: {
    description: 'Two moons (sklearn, noise 0.1) ·2 + (−1, −0.2) (FFJORD)',
    generate: moons,
    support: MOONS_SUPPORT,
  },
  rings: {
    description: 'Four concentric rings of radius 3, 2.25, 1.5, 0.75, noise 0.08 (FFJORD)',
    generate: rings,
    support: RINGS_SUPPORT,
  },
  pinwheel: {
    description: 'Pinwheel with 5 arms, within about ±4 (FFJORD)',
    generate: pinwheel,
    support: PINWHEEL_SUPPORT,
  },
  '2spirals': {
    description: 'Two interleaved spirals, within about ±3.5 (FFJORD)',
    generate: twoSpirals,
    support: TWO_SPIRALS_SUPPORT,
  },
  circles: {
    description: 'Two concentric circles of radius 1 and 3 with equal mass, noise 0.05 (thin)',
    generate: circles,
    support: CIRCLES_SUPPORT,
  },
  spiral: {
    description: 'One Archimedean spiral, radius 0.3 to 3 over 2.5 turns, uniform along it, noise 0.05 (thin)',
    generate: spiral,
    support: SPIRAL_SUPPORT,
  },
  segments: {
    description: '3×3 grid of line segments of length 1.5, horizontal and vertical in turn, noise 0.05 (thin)',
    generate: segments,
    support: SEGMENTS_SUPPORT,
  },
};

export const TOY_DATASET_NAMES = Object.keys(TOY_DATASETS) as ToyName[];

export function isToyName(name: string): name is ToyName {
  return Object.prototype.hasOwnProperty.call(TOY_DATASETS, name);
}
