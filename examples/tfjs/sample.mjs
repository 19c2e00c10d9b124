#!/usr/bin/env node
/**
 * Samples from a `dggf export --format tfjs` folder with TF.js alone (no dggf): the drift is
 * tf.grad of Σ potential(model(x)), the potential being f′ of the run's divergence as a
 * function of the net's output (manifest.flow.potential).
 *
 *   node examples/tfjs/sample.mjs EXPORT_DIR [N=1000] [SEED=0] > samples.csv
 *
 * In a browser, load the model with loadLayersModel('…/model.json') instead of fromMemory.
 * It needs TF.js core, its CPU backend and layers (what dggf installs); the `@tensorflow/tfjs`
 * umbrella package works the same: `import * as tf from '@tensorflow/tfjs'`.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { drawPrior, readManifest, samplesCsv, seededNormals } from '../shared/prior.mjs';

const [dir, nText = '1000', seedText = '0'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node examples/tfjs/sample.mjs EXPORT_DIR [N] [SEED]');
  process.exit(2);
}
await tf.setBackend('cpu');
const n = Number(nText);
const m = readManifest(dir, 'dggf-tfjs-flow');
const json = JSON.parse(fs.readFileSync(path.join(dir, m.ratioNet.file), 'utf8'));
const weights = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
const model = await loadLayersModel(
  tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }),
);

/** f′(r) as a function of the net's output (manifest.flow.potential), up to a constant. */
const POTENTIALS = {
  'kl/log-ratio': (out) => out,
  'chi2/ratio': (out) => tf.mul(out, 2),
  'chi2/log-ratio': (out) => tf.mul(tf.exp(out), 2),
  'js/log-ratio': (out) => tf.neg(tf.softplus(tf.neg(out))),
  'logd/log-ratio': (out) => tf.softplus(out),
};
const potential = POTENTIALS[`${m.run.divergence}/${m.ratioNet.outputIs}`];
const drift = tf.grad((x) => tf.sum(potential(model.apply(x))));

const rng = seededNormals(Number(seedText));
let x = tf.tensor2d(drawPrior(dir, m, n, rng), [n, m.dim]);
for (let k = 0; k < m.flow.steps; k++) {
  const next = tf.tidy(() => {
    let y = tf.sub(x, tf.mul(drift(x), m.flow.eta));
    const quiet = k >= m.flow.steps - m.flow.quietSteps; // the last steps add no noise
    if (m.flow.noise > 0 && !quiet) y = tf.add(y, tf.mul(tf.tensor2d(rng.normals(n * m.dim), [n, m.dim]), m.flow.noise));
    return y;
  });
  x.dispose();
  x = next;
}
process.stdout.write(samplesCsv(m, await x.data(), n));
