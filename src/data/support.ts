/**
 * The known support of a built-in 2-D target: the noise-free set its generator draws around
 * (mode centres, circles, curves, cells), split into the parts it is made of, with the noise σ
 * the generator adds. `distanceToShape` is the Euclidean distance from a point to one part;
 * src/eval/support.ts turns these into the off-support share and the mass per part.
 */

/** One part's noise-free geometry, in data units. */
export type SupportShape =
  | { kind: 'point'; x: number; y: number }
  | { kind: 'circle'; cx: number; cy: number; r: number }
  /** Vertices of an open polyline, row-major [x0, y0, x1, y1, …] (at least two). */
  | { kind: 'polyline'; points: Float64Array }
  /** An axis-aligned filled rectangle [x0, x1] × [y0, y1]. */
  | { kind: 'box'; x0: number; y0: number; x1: number; y1: number };

/** What the parts of a target are called in reports (one part each). */
export type PartKind = 'mode' | 'ring' | 'moon' | 'arm' | 'cell' | 'arc' | 'segment' | 'circle';

export interface Support {
  /** What one part is: a mode, a ring, a moon, … */
  partKind: PartKind;
  parts: SupportShape[];
  /** Per-coordinate std of the generator's noise around the support (0 for filled cells). */
  sigma: number;
}

/** Euclidean distance from (x, y) to the segment a–b. */
function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

/** Segments per block of a polyline's bounding-box index. */
const BLOCK = 16;

/** Bounding boxes of each run of BLOCK segments of a polyline, [x0, y0, x1, y1] per block; built once per polyline. */
const blockBoxes = new WeakMap<Float64Array, Float64Array>();

function boxesOf(p: Float64Array): Float64Array {
  let boxes = blockBoxes.get(p);
  if (boxes) return boxes;
  const segments = p.length / 2 - 1;
  boxes = new Float64Array(4 * Math.ceil(segments / BLOCK));
  for (let b = 0; b * BLOCK < segments; b++) {
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let v = b * BLOCK; v <= Math.min(segments, (b + 1) * BLOCK); v++) {
      x0 = Math.min(x0, p[2 * v]);
      y0 = Math.min(y0, p[2 * v + 1]);
      x1 = Math.max(x1, p[2 * v]);
      y1 = Math.max(y1, p[2 * v + 1]);
    }
    boxes.set([x0, y0, x1, y1], 4 * b);
  }
  blockBoxes.set(p, boxes);
  return boxes;
}

function boxDistance(x: number, y: number, x0: number, y0: number, x1: number, y1: number): number {
  return Math.hypot(Math.max(x0 - x, 0, x - x1), Math.max(y0 - y, 0, y - y1));
}

/**
 * Euclidean distance from (x, y) to a part (0 inside a box). With `within`, a polyline may stop
 * early: the result is exact when below `within`, and otherwise only known to be ≥ `within`.
 */
export function distanceToShape(x: number, y: number, s: SupportShape, within = Infinity): number {
  switch (s.kind) {
    case 'point':
      return Math.hypot(x - s.x, y - s.y);
    case 'circle':
      return Math.abs(Math.hypot(x - s.cx, y - s.cy) - s.r);
    case 'box':
      return boxDistance(x, y, s.x0, s.y0, s.x1, s.y1);
    case 'polyline': {
      const p = s.points;
      const boxes = boxesOf(p);
      const segments = p.length / 2 - 1;
      let best = within;
      for (let b = 0; 4 * b < boxes.length; b++) {
        if (boxDistance(x, y, boxes[4 * b], boxes[4 * b + 1], boxes[4 * b + 2], boxes[4 * b + 3]) >= best) continue;
        for (let v = b * BLOCK; v < Math.min(segments, (b + 1) * BLOCK); v++) {
          const d = segmentDistance(x, y, p[2 * v], p[2 * v + 1], p[2 * v + 2], p[2 * v + 3]);
          if (d < best) best = d;
        }
      }
      return best;
    }
  }
}

/** Bounding box [xmin, ymin, xmax, ymax] of a part. */
function shapeBounds(s: SupportShape): [number, number, number, number] {
  switch (s.kind) {
    case 'point':
      return [s.x, s.y, s.x, s.y];
    case 'circle':
      return [s.cx - s.r, s.cy - s.r, s.cx + s.r, s.cy + s.r];
    case 'box':
      return [s.x0, s.y0, s.x1, s.y1];
    case 'polyline': {
      const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let i = 0; i < s.points.length; i += 2) {
        b[0] = Math.min(b[0], s.points[i]);
        b[1] = Math.min(b[1], s.points[i + 1]);
        b[2] = Math.max(b[2], s.points[i]);
        b[3] = Math.max(b[3], s.points[i + 1]);
      }
      return b;
    }
  }
}

/** The support's spread: the longer side of the bounding box of all its parts. */
export function supportSpread(support: Support): number {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const part of support.parts) {
    const b = shapeBounds(part);
    x0 = Math.min(x0, b[0]);
    y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[2]);
    y1 = Math.max(y1, b[3]);
  }
  return Math.max(x1 - x0, y1 - y0);
}

/**
 * A curve as a polyline: `count` + 1 vertices at evenly spaced parameters t ∈ [t0, t1].
 * 400 segments keep the chord error far below any target's noise.
 */
export function curve(f: (t: number) => [number, number], t0: number, t1: number, count = 400): SupportShape {
  const points = new Float64Array(2 * (count + 1));
  for (let k = 0; k <= count; k++) {
    const [x, y] = f(t0 + ((t1 - t0) * k) / count);
    points[2 * k] = x;
    points[2 * k + 1] = y;
  }
  return { kind: 'polyline', points };
}

/** Point parts from row-major k×2 centres. */
export function pointParts(centres: Float32Array): SupportShape[] {
  const out: SupportShape[] = [];
  for (let i = 0; i < centres.length; i += 2) out.push({ kind: 'point', x: centres[i], y: centres[i + 1] });
  return out;
}
