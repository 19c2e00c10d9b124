/**
 * Starting points x₀ [n, dim] (standardised space, row-major) from an export's prior
 * (manifest.prior + prior.bin), drawing from the generator in the order
 * examples/shared/prior.mjs does.
 */
import { ExportReadError, type BinaryArray, type ExportManifest } from './manifest.js';
import type { SeededNormals } from './seeded-normals.js';
import { drawLowRankMixture, drawMixture } from '../priors/mixture-draw.js';

/** prior.bin's bytes (little-endian float32) as values, on any machine. */
export function priorValues(bytes: ArrayBuffer): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new ExportReadError(`prior.bin: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  const view = new DataView(bytes);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

function slice(all: Float32Array, a: BinaryArray, name: string): Float32Array {
  if (a.offset + a.length > all.length) throw new ExportReadError(`prior.bin: ${name} (values ${a.offset} to ${a.offset + a.length}) lies past its end (${all.length} values)`);
  return all.subarray(a.offset, a.offset + a.length);
}

/** x₀ for `n` particles; `bin` is prior.bin's values (data-gaussian and data-gmm priors only). */
export function drawPrior(m: ExportManifest, bin: Float32Array | null, n: number, rng: SeededNormals): Float32Array {
  const p = m.prior;
  const dim = m.dim;
  switch (p.name) {
    case 'gaussian':
      return rng.normals(n * dim);
    case 'uniform':
      return Float32Array.from({ length: n * dim }, () => p.low + (p.high - p.low) * rng.uniform());
    case 'data':
      throw new ExportReadError(`this export translates images from ${p.source}: pass your own source images as x0 (HWC in [−1, 1], flattened)`);
    case 'data-gmm':
      if (!bin) throw new ExportReadError(`${p.file} was not read: the data-gmm prior needs it`);
      if ('chols' in p) {
        return drawMixture(slice(bin, p.weights, 'prior.weights'), slice(bin, p.means, 'prior.means'), slice(bin, p.chols, 'prior.chols'), dim, n, () => rng.uniform(), (count) => rng.normals(count));
      }
      return drawLowRankMixture(
        slice(bin, p.weights, 'prior.weights'),
        slice(bin, p.means, 'prior.means'),
        slice(bin, p.factors, 'prior.factors'),
        slice(bin, p.diagStds, 'prior.diagStds'),
        dim,
        p.factors.shape[2],
        p.clamp,
        n,
        () => rng.uniform(),
        (count) => rng.normals(count),
      );
    case 'data-gaussian':
      break;
  }
  if (!bin) throw new ExportReadError(`${p.file} was not read: the data-gaussian prior needs it`);
  const mean = slice(bin, p.mean, 'prior.mean');
  const x = new Float32Array(n * dim);
  if ('chol' in p) {
    const L = slice(bin, p.chol, 'prior.chol');
    const z = rng.normals(n * dim);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < dim; r++) {
        let s = mean[r];
        for (let c = 0; c <= r; c++) s += L[r * dim + c] * z[i * dim + c];
        x[i * dim + r] = s;
      }
  } else {
    const W = slice(bin, p.factor, 'prior.factor');
    const rank = p.factor.shape[1];
    const d = slice(bin, p.diagStd, 'prior.diagStd');
    const z = rng.normals(n * rank);
    const e = rng.normals(n * dim);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < dim; r++) {
        let s = mean[r] + d[r] * e[i * dim + r];
        for (let k = 0; k < rank; k++) s += W[r * rank + k] * z[i * rank + k];
        x[i * dim + r] = s;
      }
  }
  return p.clamp ? x.map((v) => Math.min(1, Math.max(-1, v))) : x;
}
