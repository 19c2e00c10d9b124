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

export function fitNormalizer(points: Float32Array, dim: number): NormalizerState {
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
  const std = sq.map((s) => {
    const v = Math.sqrt(s / Math.max(1, n - 1));
    return v > 1e-12 ? v : 1;
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
