/**
 * Per-dimension standardisation of the data: training and the flow run in the standardised
 * space, samples are mapped back. The identity when a run does not normalise.
 */
export interface NormalizerState {
  mean: number[];
  std: number[];
}

export function identityNormalizer(dim: number): NormalizerState {
  return { mean: new Array(dim).fill(0), std: new Array(dim).fill(1) };
}

/** A column whose values are all (nearly) equal: standardising it would divide by ~0. */
export interface DegenerateColumn {
  /** 0-based. */
  column: number;
  mean: number;
  spread: number;
}

/**
 * A spread at or below this fraction of the column's magnitude is float32 rounding, not data
 * (float32 resolves about 6e-8 of a value).
 */
export const MIN_RELATIVE_SPREAD = 1e-6;

/** Below this absolute spread a column counts as constant whatever its values. */
const MIN_SPREAD = 1e-30;

/**
 * Mean and standard deviation per column. A column of (nearly) equal values keeps a scale of 1
 * and is listed in `degenerate`, for the caller to report; any other spread, however small,
 * is used as it is.
 */
export function fitNormalizer(points: Float32Array, dim: number, degenerate: DegenerateColumn[] = []): NormalizerState {
  const n = points.length / dim;
  const mean = new Array(dim).fill(0);
  const sq = new Array(dim).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += points[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const c = points[i * dim + j] - mean[j];
      sq[j] += c * c;
    }
  }
  const std = sq.map((s, j) => {
    const v = Math.sqrt(s / Math.max(1, n - 1));
    if (v > MIN_SPREAD && v > MIN_RELATIVE_SPREAD * Math.abs(mean[j])) return v;
    degenerate.push({ column: j, mean: mean[j], spread: v });
    return 1;
  });
  return { mean, std };
}

export function normalize(points: Float32Array, dim: number, s: NormalizerState): Float32Array {
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const j = i % dim;
    out[i] = (points[i] - s.mean[j]) / s.std[j];
  }
  return out;
}

export function denormalize(points: Float32Array, dim: number, s: NormalizerState): Float32Array {
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i++) {
    const j = i % dim;
    out[i] = points[i] * s.std[j] + s.mean[j];
  }
  return out;
}
