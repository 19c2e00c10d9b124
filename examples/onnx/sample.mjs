#!/usr/bin/env node
/**
 * Samples from a `dggf export --format onnx` folder with onnxruntime-node alone (no dggf):
 *
 *   node examples/onnx/sample.mjs EXPORT_DIR [N=1000] [SEED=0] > samples.csv
 *
 * Points come out in the data's units, one per line; images as their HWC pixel values in
 * [−1, 1], one image per line. Everything it needs is in EXPORT_DIR/manifest.json.
 */
import path from 'node:path';
import ort from 'onnxruntime-node';
import { drawPrior, readManifest, samplesCsv, seededNormals } from '../shared/prior.mjs';

const [dir, nText = '1000', seedText = '0'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node examples/onnx/sample.mjs EXPORT_DIR [N] [SEED]');
  process.exit(2);
}
const n = Number(nText);
const m = readManifest(dir, 'dggf-onnx-flow');
const rng = seededNormals(Number(seedText));
const step = await ort.InferenceSession.create(path.join(dir, m.flowStep.file));
let x = drawPrior(dir, m, n, rng);
for (let k = 0; k < m.flow.steps; k++) {
  const feeds = { x: new ort.Tensor('float32', x, [n, m.dim]) };
  const quiet = k >= m.flow.steps - m.flow.quietSteps; // the last steps add no noise
  if (m.flow.noise > 0) feeds.noise = new ort.Tensor('float32', quiet ? new Float32Array(n * m.dim) : rng.normals(n * m.dim), [n, m.dim]);
  x = (await step.run(feeds)).x_next.data;
}
process.stdout.write(samplesCsv(m, x, n));
