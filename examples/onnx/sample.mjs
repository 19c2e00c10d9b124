#!/usr/bin/env node
/**
 * Samples from a `dggf export --format onnx` folder with onnxruntime-node alone (no dggf):
 *
 *   node examples/onnx/sample.mjs EXPORT_DIR [N=1000] [SEED=0] > samples.csv
 *
 * Points come out in the data's units, one per line; images as their HWC pixel values in
 * [−1, 1], one image per line. Everything it needs is in EXPORT_DIR/manifest.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const [dir, nText = '1000', seedText = '0'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node examples/onnx/sample.mjs EXPORT_DIR [N] [SEED]');
  process.exit(2);
}
const n = Number(nText);
const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
if (m.format !== 'dggf-onnx-flow') throw new Error(`${dir}/manifest.json: not a dggf ONNX export`);
const dim = m.dim;

// standard normals from a seeded generator (mulberry32 + Box–Muller)
let state = Number(seedText) >>> 0;
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

/** x₀ [n, dim] from the prior the run was trained from. */
function drawPrior() {
  const p = m.prior;
  if (p.name === 'gaussian') return normals(n * dim);
  if (p.name === 'uniform') return Float32Array.from({ length: n * dim }, () => p.low + (p.high - p.low) * uniform());
  if (p.name === 'data') throw new Error(`this export translates images from ${p.source}: flow your own source images (HWC in [−1, 1]) with ${m.flowStep.file}`);
  const bin = fs.readFileSync(path.join(dir, p.file));
  const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  const at = (a) => all.subarray(a.offset, a.offset + a.length);
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

const step = await ort.InferenceSession.create(path.join(dir, m.flowStep.file));
let x = drawPrior();
for (let k = 0; k < m.flowStep.steps; k++) {
  const feeds = { x: new ort.Tensor('float32', x, [n, dim]) };
  if (m.flowStep.noise > 0) feeds.noise = new ort.Tensor('float32', normals(n * dim), [n, dim]);
  x = (await step.run(feeds)).x_next.data;
}
const lines = [];
for (let i = 0; i < n; i++) {
  const row = Array.from(x.subarray(i * dim, (i + 1) * dim), (v, j) =>
    m.image ? Math.min(1, Math.max(-1, v)) : v * m.normalizer.std[j] + m.normalizer.mean[j],
  );
  lines.push(row.map((v) => v.toPrecision(6)).join(','));
}
process.stdout.write(lines.join('\n') + '\n');
