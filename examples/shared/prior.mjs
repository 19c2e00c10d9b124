/**
 * What both export examples share (no dependencies): a seeded normal generator, draws from the
 * exported prior (manifest.json + prior.bin), and the flowed particles as CSV lines.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Reads DIR/manifest.json, checking it is a dggf export of the given format. */
export function readManifest(dir, format) {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  if (m.format !== format) throw new Error(`${dir}/manifest.json: expected a ${format} export, found '${m.format}'`);
  return m;
}

/** count standard normals per call, from a seeded generator (mulberry32 + Box–Muller). */
export function seededNormals(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normals = (count) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - uniform()));
      const a = 2 * Math.PI * uniform();
      out[i] = r * Math.cos(a);
      if (i + 1 < count) out[i + 1] = r * Math.sin(a);
    }
    return out;
  };
  return { normals, uniform };
}

/** x₀ [n, dim] (row-major) from the prior the run was trained from. */
export function drawPrior(dir, m, n, { normals, uniform }) {
  const p = m.prior;
  const dim = m.dim;
  if (p.name === 'gaussian') return normals(n * dim);
  if (p.name === 'uniform') return Float32Array.from({ length: n * dim }, () => p.low + (p.high - p.low) * uniform());
  if (p.name === 'data') throw new Error(`this export translates images from ${p.source}: flow your own source images (HWC in [−1, 1]) instead of prior draws`);
  const bin = fs.readFileSync(path.join(dir, p.file));
  const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  const at = (a) => all.subarray(a.offset, a.offset + a.length);
  if (p.name === 'data-gmm' && p.chols) return drawMixture(at(p.weights), at(p.means), at(p.chols), dim, n, { normals, uniform });
  if (p.name === 'data-gmm') {
    const x = drawLowRankMixture(at(p.weights), at(p.means), at(p.factors), at(p.diagStds), dim, p.factors.shape[2], n, { normals, uniform });
    return p.clamp ? x.map((v) => Math.min(1, Math.max(-1, v))) : x;
  }
  const mean = at(p.mean);
  const x = new Float32Array(n * dim);
  if (p.chol) {
    const L = at(p.chol);
    const z = normals(n * dim);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < dim; r++) {
        let s = mean[r];
        for (let c = 0; c <= r; c++) s += L[r * dim + c] * z[i * dim + c];
        x[i * dim + r] = s;
      }
  } else {
    const W = at(p.factor);
    const rank = p.factor.shape[1];
    const d = at(p.diagStd);
    const z = normals(n * rank);
    const e = normals(n * dim);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < dim; r++) {
        let s = mean[r] + d[r] * e[i * dim + r];
        for (let k = 0; k < rank; k++) s += W[r * rank + k] * z[i * rank + k];
        x[i * dim + r] = s;
      }
  }
  return p.clamp ? x.map((v) => Math.min(1, Math.max(-1, v))) : x;
}

/** n component picks by weight: one uniform each, the first component whose cumulative weight exceeds u·Σweights. */
function pickComponents(weights, n, uniform) {
  const k = weights.length;
  const cumulative = [];
  let total = 0;
  for (let c = 0; c < k; c++) cumulative.push((total += weights[c]));
  return Array.from({ length: n }, () => {
    const u = uniform() * total;
    let c = 0;
    while (c < k - 1 && u >= cumulative[c]) c++;
    return c;
  });
}

/** A low-rank Gaussian mixture's x₀ (images): the picks, then n·rank normals z, then n·dim normals e: x₀ = means[c] + W_c·z + d_c ⊙ e. */
function drawLowRankMixture(weights, means, factors, diagStds, dim, rank, n, { normals, uniform }) {
  const pick = pickComponents(weights, n, uniform);
  const z = normals(n * rank);
  const e = normals(n * dim);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pick[i];
    for (let r = 0; r < dim; r++) {
      let s = means[c * dim + r] + diagStds[c * dim + r] * e[i * dim + r];
      for (let j = 0; j < rank; j++) s += factors[(c * dim + r) * rank + j] * z[i * rank + j];
      x[i * dim + r] = s;
    }
  }
  return x;
}

/** A Gaussian mixture's x₀: n component picks by weight, then x₀ = means[c] + L_c·z. */
function drawMixture(weights, means, chols, dim, n, { normals, uniform }) {
  const pick = pickComponents(weights, n, uniform);
  const z = normals(n * dim);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = pick[i];
    for (let r = 0; r < dim; r++) {
      let s = means[c * dim + r];
      for (let j = 0; j <= r; j++) s += chols[(c * dim + r) * dim + j] * z[i * dim + j];
      x[i * dim + r] = s;
    }
  }
  return x;
}

/** Flowed particles x [n, dim] as CSV lines: points in the data's units, images clamped to [−1, 1]. */
export function samplesCsv(m, x, n) {
  const dim = m.dim;
  const lines = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(x.subarray(i * dim, (i + 1) * dim), (v, j) => (m.image ? Math.min(1, Math.max(-1, v)) : v * m.normalizer.std[j] + m.normalizer.mean[j]));
    lines.push(row.map((v) => v.toPrecision(6)).join(','));
  }
  return lines.join('\n') + '\n';
}
