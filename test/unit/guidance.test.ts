/**
 * Classifier guidance: the −φ log p(y|x) term's gradient against finite differences (every
 * engine, with and without a normaliser), its composition with a conv ratio term in the drift,
 * that it moves particles towards the class, and the CLI (`dggf classifier train`,
 * `dggf sample --class … --classifier …`) on tiny labelled PNG folders, with its errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { initEngine, tf, type Tensor2D } from '../../src/engine/index.js';
import {
  createClassifier,
  classifierLogits,
  classifierLogProbs,
  ClassifierFileError,
  type ImageClassifier,
} from '../../src/nets/classifier.js';
import { loadClassifier, saveClassifier } from '../../src/train/classifier-file.js';
import { createRatioNet } from '../../src/nets/ratio-net.js';
import { FlowNoise, drift, ratioTerm, runFlow, type FlowTerm } from '../../src/flow/index.js';
import { compileTerm } from '../../src/engine/tfjs/drift.js';
import { classifierGuidanceTerm, logProbTerm } from '../../src/flow/guidance.js';
import { DataError } from '../../src/data/types.js';
import { loadRun } from '../../src/train/run.js';
import { main } from '../../src/cli/main.js';
import { Rng } from '../../src/util/rng.js';
import { GUIDED_EXTRA_STEPS } from '../../src/config/presets.js';
import { ENGINE_SETUPS, maxAbsDiff, useEngine } from '../helpers/engine.js';
import { snapshot, tempDir } from '../helpers/cli.js';

const image = { height: 6, width: 6, channels: 1 as const };
const dim = 36;

/** A random 6×6×1, 3-class classifier; biases random too (createClassifier zeroes them). */
function tinyClassifier(seed: number): ImageClassifier {
  const rng = new Rng(seed);
  const clf = createClassifier({ image, classes: 3, filters: [4, 6], featureDim: 8 }, rng, ['a', 'b', 'c']);
  const weights = clf.model.getWeights().map((w) => (w.shape.length === 1 ? tf.tensor1d(rng.uniformArray(w.size, -0.1, 0.1)) : w.clone()));
  clf.model.setWeights(weights);
  tf.dispose(weights);
  return clf;
}

/** The term's potential per particle at x (TF.js, float32). */
function potentialOf(term: FlowTerm, x: Tensor2D): Float32Array {
  return tf.tidy(() => compileTerm(term).potential(x).dataSync() as Float32Array);
}

/** Σ over particles of the term's potential at v (n×dim), in float32 as the flow sees it. */
function summedPotential(term: FlowTerm, v: Float32Array, n: number): number {
  return tf.tidy(() => tf.sum(compileTerm(term).potential(tf.tensor2d(v, [n, dim]))).dataSync()[0]);
}

/** The drift of `terms` at x on the engine in use, read back. */
async function driftAt(x: Tensor2D, terms: FlowTerm[]): Promise<Float32Array> {
  const g = await drift(x, terms);
  const values = g.dataSync() as Float32Array;
  g.dispose();
  return values;
}

/**
 * The term's drift (autodiff) against central differences of its summed potential at xs, on
 * the coordinates away from ReLU kinks; asserts the match and returns the gradient's scale.
 */
async function checkDriftByDifferences(term: FlowTerm, xs: Float32Array, n: number, tolerance = 6e-5): Promise<{ scale: number }> {
  const x = tf.tensor2d(xs, [n, dim]);
  const grad = await driftAt(x, [term]);
  x.dispose();
  // The classifier is a ReLU net: piecewise linear up to the log-softmax, so a coordinate
  // whose ±h segment crosses a kink has one-sided differences that disagree. Those are
  // skipped (|forward − backward| > 1e-4, above float32 rounding of ≈ 4·2.4·10⁻⁷/h); on the
  // others the central difference must match the autodiff gradient to within what a kink
  // closer than that could still hide (half the threshold): a wrong gradient is off by ~|g|.
  const h = 2e-2;
  const f0 = summedPotential(term, xs, n);
  let worst = 0;
  let scale = 0;
  let checked = 0;
  for (let k = 0; k < n * dim; k++) {
    const plus = Float32Array.from(xs);
    const minus = Float32Array.from(xs);
    plus[k] += h;
    minus[k] -= h;
    const fp = summedPotential(term, plus, n);
    const fm = summedPotential(term, minus, n);
    if (Math.abs((fp - f0) / h - (f0 - fm) / h) > 1e-4) continue;
    checked++;
    worst = Math.max(worst, Math.abs((fp - fm) / (2 * h) - grad[k]));
    scale = Math.max(scale, Math.abs(grad[k]));
  }
  assert.ok(checked >= 20, `only ${checked} of ${n * dim} coordinates away from ReLU kinks`);
  assert.ok(scale > 1e-3, `gradient is not trivially zero (max |g| = ${scale})`);
  assert.ok(worst <= tolerance, `max |fd − grad| = ${worst} over ${checked} coordinates (scale ${scale})`);
  return { scale };
}

for (const setup of ENGINE_SETUPS) {
  test(`[${setup.label}] guidance term: potential = −log p(y|x), drift = central differences`, async () => {
    await useEngine(setup);
    const clf = tinyClassifier(5);
    const n = 2;
    const xs = new Rng(6).uniformArray(n * dim, -1, 1);
    const x = tf.tensor2d(xs, [n, dim]);
    const c = 1;
    const term = classifierGuidanceTerm(clf, c, 1);
    assert.equal(term.kind, 'classifier');
    assert.match(term.label ?? '', /log p\(y=b\|x\)/);
    // the potential is −log p(y = c | x) per particle
    const pot = potentialOf(term, x);
    const lp = tf.tidy(() => classifierLogProbs(clf, x).arraySync() as number[][]);
    assert.deepEqual(Array.from(pot, (v) => Math.round(v * 1e5)), lp.map((r) => Math.round(-r[c] * 1e5)));
    const { scale } = await checkDriftByDifferences(term, xs, n);
    // a tempered guide: −log softmax(logits/T)_c, its drift checked the same way
    const tempered = classifierGuidanceTerm(clf, c, 1, undefined, { temperature: 3 });
    assert.match(tempered.label ?? '', /log p\(y=b\|x, T 3\)/);
    const potT = potentialOf(tempered, x);
    const lpT = tf.tidy(() => tf.logSoftmax(tf.div(classifierLogits(clf, x), 3)).arraySync() as number[][]);
    assert.deepEqual(Array.from(potT, (v) => Math.round(v * 1e5)), lpT.map((r) => Math.round(-r[c] * 1e5)));
    assert.ok(potT.some((v, i) => Math.abs(v - pot[i]) > 1e-3), 'temperature 3 must change the potential');
    // its slopes are ~1/T as large, so a kink the 1e-4 filter lets through costs relatively more
    await checkDriftByDifferences(tempered, xs, n, 1e-4);

    // a normaliser maps flow space to data space: ∇ₓ = std ⊙ ∇_data at x·std + mean
    const rng = new Rng(8);
    const normalizer = { mean: Array.from(rng.uniformArray(dim, -0.2, 0.2)), std: Array.from(rng.uniformArray(dim, 0.5, 1.5)) };
    const withNz = classifierGuidanceTerm(clf, c, 1, normalizer);
    const dataX = Float32Array.from(xs, (v, i) => v * normalizer.std[i % dim] + normalizer.mean[i % dim]);
    const gNz = await driftAt(x, [withNz]);
    const xData = tf.tensor2d(dataX, [n, dim]);
    const gData = await driftAt(xData, [term]);
    xData.dispose();
    const chained = Float32Array.from(gData, (v, i) => v * normalizer.std[i % dim]);
    assert.ok(maxAbsDiff(gNz, chained) < 1e-5 * (1 + scale), `normaliser chain rule: ${maxAbsDiff(gNz, chained)}`);
    x.dispose();
    clf.dispose();
  });
}

for (const setup of ENGINE_SETUPS) test(`[${setup.label}] the drift of [ratio term, guidance term] is the sum of their weighted gradients`, async () => {
  await useEngine(setup);
  const clf = tinyClassifier(11);
  const net = createRatioNet({ type: 'cnn', image, channels: [3, 4], activation: 'silu' }, new Rng(12));
  const n = 3;
  const x = tf.tensor2d(new Rng(13).normalArray(n * dim), [n, dim]);
  const phi = 0.7;
  const ratio = ratioTerm(net, 'kl', 'log-ratio');
  const guide = classifierGuidanceTerm(clf, 2, phi);
  const unit = classifierGuidanceTerm(clf, 2, 1);
  const both = await driftAt(x, [ratio, guide]);
  const r = await driftAt(x, [ratio]);
  const g1 = await driftAt(x, [unit]);
  const sum = Float32Array.from(r, (v, i) => v + phi * g1[i]);
  const scale = Math.max(...Array.from(sum, Math.abs));
  assert.ok(scale > 1e-4);
  assert.ok(maxAbsDiff(both, sum) < 1e-5 * (1 + scale), `|drift − (∇ratio + φ∇guide)| = ${maxAbsDiff(both, sum)}`);
  // and the guidance part really contributes
  assert.ok(maxAbsDiff(both, r) > 1e-3, 'the guidance term changes the drift');
  // logProbTerm is the generic form: −weight · logProb
  const generic = logProbTerm((v: Tensor2D) => tf.reshape(tf.slice(classifierLogProbs(clf, v), [0, 2], [-1, 1]), [-1]), phi);
  // (a TF.js potential: this flow runs on TF.js whatever the engine)
  const viaGeneric = await driftAt(x, [ratio, generic]);
  assert.ok(maxAbsDiff(viaGeneric, both) < 1e-6 * (1 + scale), `generic form: ${maxAbsDiff(viaGeneric, both)}`);
  x.dispose();
  net.dispose();
  clf.dispose();
});

for (const setup of ENGINE_SETUPS) test(`[${setup.label}] guidance with a large φ raises log p(y|x) of the flowed particles`, async () => {
  await useEngine(setup);
  const clf = tinyClassifier(21);
  const net = createRatioNet({ type: 'cnn', image, channels: [3, 4], activation: 'silu' }, new Rng(22));
  const n = 16;
  const c = 0;
  const x0 = tf.tensor2d(new Rng(23).uniformArray(n * dim, -1, 1), [n, dim]);
  const settings = { steps: 25, eta: 0.05, noise: 0.01 };
  const meanLogProb = (x: Tensor2D): number => tf.tidy(() => tf.mean(tf.slice(classifierLogProbs(clf, x), [0, c], [-1, 1])).dataSync()[0]);
  const plain = await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio')], settings, new FlowNoise(24));
  const tensorsBefore = tf.memory().numTensors;
  const guided = await runFlow(x0, [ratioTerm(net, 'kl', 'log-ratio'), classifierGuidanceTerm(clf, c, 40)], settings, new FlowNoise(24));
  // a guided flow of 25 steps leaves exactly one new tensor: its result
  assert.equal(tf.memory().numTensors, tensorsBefore + 1, 'tensors after a guided flow');
  const before = meanLogProb(x0);
  const unguided = meanLogProb(plain.x);
  const withGuidance = meanLogProb(guided.x);
  assert.ok(withGuidance > unguided + 0.5, `mean log p(y|x): start ${before}, unguided ${unguided}, guided ${withGuidance}`);
  assert.ok(withGuidance > before + 0.5, `mean log p(y|x): start ${before}, guided ${withGuidance}`);
  tf.dispose([x0, plain.x, guided.x]);
  net.dispose();
  clf.dispose();
});

test('guidance term errors: class out of range, input shape, normaliser dimension', async () => {
  await initEngine('cpu');
  const clf = tinyClassifier(31);
  assert.throws(() => classifierGuidanceTerm(clf, 3, 1, undefined, { source: 'clf/model.json' }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /clf\/model\.json: class 3 is out of range, the classifier has 3 classes \(0\.\.2\)/);
    return true;
  });
  assert.throws(() => classifierGuidanceTerm(clf, 0, 1, undefined, { image: { height: 8, width: 8, channels: 1 }, source: 'c/model.json' }), (e: Error) => {
    assert.ok(e instanceof ClassifierFileError);
    assert.match(e.message, /c\/model\.json: classifier input is 6×6×1 images, expected 8×8×1/);
    return true;
  });
  assert.throws(() => classifierGuidanceTerm(clf, 0, 1, { mean: [0, 0], std: [1, 1] }), /the flow has 2 dimensions, the classifier takes 6×6×1 = 36/);
  assert.throws(() => classifierGuidanceTerm(clf, 0, NaN), /weight is NaN/);
  for (const t of [0, -1, Infinity]) assert.throws(() => classifierGuidanceTerm(clf, 0, 1, undefined, { temperature: t }), new RegExp(`temperature is ${t}`));
  clf.dispose();
});

// ---- CLI ----------------------------------------------------------------------------------

/** Runs the CLI in-process, capturing stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** 8×8 grey PNGs per class: 'bars' a horizontal bar, 'cols' a vertical bar, 'dots' a 2×2 square. */
function writeLabelledImages(root: string, perClass: number, seed: number): void {
  const rng = new Rng(seed);
  for (const cls of ['bars', 'cols', 'dots']) {
    const dir = path.join(root, cls);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: 8, height: 8 });
      const a = rng.int(7);
      const b = rng.int(7);
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const on = cls === 'bars' ? y === a : cls === 'cols' ? x === a : x >= a && x < a + 2 && y >= b && y < b + 2;
          const o = (y * 8 + x) * 4;
          png.data[o] = png.data[o + 1] = png.data[o + 2] = on ? 230 : 25;
          png.data[o + 3] = 255;
        }
      }
      fs.writeFileSync(path.join(dir, `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
    }
  }
}

const root = tempDir('guidance-cli');
const labelled = path.join(root, 'labelled');
writeLabelledImages(labelled, 14, 1);
const runDir = path.join(root, 'run');
const clfDir = path.join(root, 'clf');
const cfg = path.join(root, 'tiny.json');
fs.writeFileSync(
  cfg,
  JSON.stringify({
    net: { type: 'cnn', channels: [4, 4], activation: 'leaky_relu' },
    iterations: 2,
    flowSteps: 3,
    batch: 8,
    logEvery: 1,
    checkpointEvery: 2,
    previewEvery: 0,
    imageSize: 8,
  }),
);

test('dggf classifier train: a labelled folder → model.json + weights.bin, progress and the held-out accuracy', async () => {
  const r = await cli(['classifier', 'train', '--data', labelled, '--out', path.join(clfDir, 'model.json'), '--size', '8', '--steps', '30', '--batch', '16', '--filters', '4,8', '--seed', '3', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(clfDir, 'model.json')) && fs.existsSync(path.join(clfDir, 'weights.bin')));
  assert.match(r.stderr, /classifier: .*labelled: 3[78] training images of 8×8×1, 3 classes/);
  assert.match(r.stderr, /classifier: step 30\/30 loss \d/);
  assert.match(r.stdout, /classifier: test accuracy \d+\.\d\d% on [45] images/);
  const info = JSON.parse(fs.readFileSync(path.join(clfDir, 'model.json'), 'utf8')).dggf;
  assert.deepEqual(info.classNames, ['bars', 'cols', 'dots']);
  assert.deepEqual(info.filters, [4, 8]);
  // noise augmentation and adversarial training for a guide
  const robustDir = path.join(root, 'clf-robust');
  const a = await cli(['classifier', 'train', '--data', labelled, '--out', robustDir, '--size', '8', '--steps', '4', '--batch', '8', '--filters', '4', '--noise', '0.3', '--adversarial', '0.5', '--adversarial-steps', '2', '--adversarial-warmup', '0.5', '--backend', 'cpu']);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /4 steps of batch 8, noise augmentation σ ≤ 0\.3, adversarial \(L2 radius 0\.5, PGD 2 steps, ramped up over 50% of the steps\) on cpu/);
  assert.ok(fs.existsSync(path.join(robustDir, 'model.json')));

  // unlabelled data, non-image data and bad options are one-line errors with exit 2
  const flat = path.join(root, 'flat');
  fs.mkdirSync(flat, { recursive: true });
  for (const f of fs.readdirSync(path.join(labelled, 'bars'))) fs.copyFileSync(path.join(labelled, 'bars', f), path.join(flat, f));
  const cases: [string[], RegExp][] = [
    [['--data', flat, '--out', path.join(root, 'c-flat')], /has no class labels|no class labels/],
    [['--data', '8gaussians', '--out', path.join(root, 'c-toy')], /not an image dataset/],
    [['--data', labelled, '--out', path.join(root, 'c-f'), '--filters', '4,,8'], /conv widths/],
    [['--data', labelled, '--out', path.join(root, 'c-h'), '--head', 'max'], /flatten, gap/],
    [['--data', labelled, '--out', path.join(root, 'c-a'), '--adversarial', '-1'], /--adversarial/],
    [['--data', labelled, '--out', path.join(root, 'c-s'), '--adversarial', '1', '--adversarial-steps', '0'], /--adversarial-steps/],
    [['--data', labelled, '--out', path.join(root, 'c-s1'), '--adversarial-steps', '3'], /--adversarial-steps 3: needs --adversarial/],
    [['--data', labelled, '--out', path.join(root, 'c-w'), '--adversarial', '1', '--adversarial-warmup', '2'], /--adversarial-warmup.*fraction in \[0, 1\]/],
    [['--data', labelled, '--out', path.join(root, 'c-w1'), '--adversarial-warmup', '0.5'], /--adversarial-warmup 0\.5: needs --adversarial/],
  ];
  for (const [args, pattern] of cases) {
    const e = await cli(['classifier', 'train', ...args, '--size', '8', '--steps', '1', '--backend', 'cpu']);
    assert.equal(e.code, 2, `${args.join(' ')} → ${e.code}\n${e.stderr}`);
    assert.match(e.stderr, pattern);
  }
  assert.ok(!fs.existsSync(path.join(root, 'c-flat')));
});

test('dggf sample --class: per-class folders, a grid with a row per class, classes.json; same seed → same bytes', async () => {
  const t = await cli(['train', '--data', labelled, '--preset', 'emoji-cpu', '--config', cfg, '--extra-steps', '2', '--no-report', '--out', runDir, '--backend', 'cpu']);
  assert.equal(t.code, 0, t.stderr);
  const out = path.join(root, 'guided');
  const args = ['sample', '--run', runDir, '--n', '3', '--class', 'dots,0', '--classifier', clfDir, '--guidance', '0.5', '--seed', '7', '--backend', 'cpu'];
  const r = await cli([...args, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['class-0', 'class-2', 'classes.json', 'grid.png']);
  for (const c of ['class-0', 'class-2']) {
    assert.deepEqual(fs.readdirSync(path.join(out, c)).sort(), ['000000.png', '000001.png', '000002.png']);
    const one = PNG.sync.read(fs.readFileSync(path.join(out, c, '000001.png')));
    assert.equal(one.width, 8);
  }
  const grid = PNG.sync.read(fs.readFileSync(path.join(out, 'grid.png')));
  // 2 rows of 8×8 images at scale 2 with 2-px gaps: 2·18 + 2; 3 columns after the row labels
  assert.equal(grid.height, 2 * 18 + 2);
  assert.ok(grid.width > 3 * 18 + 2, `grid width ${grid.width}`);
  const record = JSON.parse(fs.readFileSync(path.join(out, 'classes.json'), 'utf8'));
  assert.equal(record.guidance, 0.5);
  assert.equal(record.temperature, 1, 'the classifier as it is unless --guidance-temperature');
  assert.equal(record.steps, 3 + GUIDED_EXTRA_STEPS, "K + 10 flow steps, the authors' (not the run's κ of 2)");
  assert.equal(record.seed, 7);
  assert.deepEqual(
    record.classes.map((c: { index: number; name: string; folder: string }) => [c.index, c.name, c.folder]),
    [
      [2, 'dots', 'class-2'],
      [0, 'bars', 'class-0'],
    ],
  );
  assert.deepEqual(record.classifiers, [path.resolve(clfDir, 'model.json')]);
  for (const c of record.classes) {
    assert.equal(c.guides.length, 1);
    assert.ok(Number.isFinite(c.guides[0].meanLogProb) && c.guides[0].agreement >= 0 && c.guides[0].agreement <= 1);
  }
  assert.match(r.stdout, /class 2 \(dots\): 3 images in class-2\//);
  // same seed → same bytes; guidance changes the images; an unguided sample of the run is unaffected
  const again = path.join(root, 'guided-again');
  const viaModelJson = args.map((a) => (a === clfDir ? path.join(clfDir, 'model.json') : a));
  assert.equal((await cli([...viaModelJson, '--out', again])).code, 0);
  assert.deepEqual(snapshot(again), snapshot(out));
  const weaker = path.join(root, 'guided-weak');
  assert.equal((await cli([...args.map((a) => (a === '0.5' ? '0' : a)), '--out', weaker])).code, 0);
  assert.notDeepEqual(snapshot(weaker)['class-2/000000.png'], snapshot(out)['class-2/000000.png']);
  // a tempered guide is recorded and changes the images
  const tempered = path.join(root, 'guided-tempered');
  const rt = await cli([...args, '--guidance-temperature', '4', '--out', tempered]);
  assert.equal(rt.code, 0, rt.stderr);
  assert.match(rt.stdout, /φ = 0\.5, T = 4, 13 steps/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(tempered, 'classes.json'), 'utf8')).temperature, 4);
  assert.notDeepEqual(snapshot(tempered)['class-2/000000.png'], snapshot(out)['class-2/000000.png']);
  // two guides: both terms act (other images), both are recorded and report their agreement
  const pair = path.join(root, 'guided-pair');
  const rp = await cli([...args, '--classifier', path.join(root, 'clf-robust'), '--out', pair]);
  assert.equal(rp.code, 0, rp.stderr);
  assert.match(rp.stdout, /class 2 \(dots\): 3 images in class-2\/; the 2 guiding classifiers assign \d+\.\d% \/ \d+\.\d% to it/);
  assert.match(rp.stdout, /2 guiding classifiers, φ = 0\.5/);
  const pairRecord = JSON.parse(fs.readFileSync(path.join(pair, 'classes.json'), 'utf8'));
  assert.deepEqual(pairRecord.classifiers, [path.resolve(clfDir, 'model.json'), path.resolve(root, 'clf-robust', 'model.json')]);
  assert.ok(pairRecord.classes.every((c: { guides: unknown[] }) => c.guides.length === 2));
  assert.notDeepEqual(snapshot(pair)['class-2/000000.png'], snapshot(out)['class-2/000000.png']);
});

test('FlowModel.sampleInBatches passes extra terms to every batch; without them nothing changes', async () => {
  await initEngine('cpu');
  const { model } = loadRun(runDir);
  const clf = await loadClassifier(clfDir, { image: model.derived.image });
  try {
    const opts = { seed: 3, steps: 4, batch: 2 };
    const plain = (await model.sampleInBatches(5, opts)).samples;
    const empty = (await model.sampleInBatches(5, { ...opts, extraTerms: [] })).samples;
    assert.deepEqual(empty, plain);
    const term = classifierGuidanceTerm(clf, 1, 5, model.derived.normalizer, { image: model.derived.image });
    const guided = (await model.sampleInBatches(5, { ...opts, extraTerms: [term] })).samples;
    // the last batch (rows 4..) must also be guided
    const last = (a: Float32Array) => a.subarray(4 * model.derived.dim);
    assert.ok(maxAbsDiff(last(guided), last(plain)) > 1e-3, 'the extra term reached the last batch');
  } finally {
    clf.dispose();
    model.dispose();
  }
});

test('dggf sample --class errors: exit 2, one line naming the problem, run folder untouched', async () => {
  const before = snapshot(runDir);
  const wrong = path.join(root, 'clf-12');
  const big = createClassifier({ image: { height: 12, width: 12, channels: 1 }, classes: 3, filters: [4], featureDim: 8 }, new Rng(1));
  await saveClassifier(big, wrong);
  big.dispose();
  const twoClasses = path.join(root, 'clf-2');
  const two = createClassifier({ image: { height: 8, width: 8, channels: 1 }, classes: 2, filters: [4], featureDim: 8 }, new Rng(1));
  await saveClassifier(two, twoClasses);
  two.dispose();
  const toyRun = path.join(root, 'toy-run');
  const toy = await cli(['train', '--data', '8gaussians', '--iterations', '2', '--batch', '16', '--flow-steps', '2', '--no-report', '--out', toyRun, '--backend', 'cpu']);
  assert.equal(toy.code, 0, toy.stderr);
  const base = ['sample', '--run', runDir, '--n', '2', '--backend', 'cpu'];
  const cases: [string[], RegExp][] = [
    [[...base, '--out', path.join(root, 'e1'), '--class', '1', '--classifier', wrong], /clf-12\/model\.json: classifier input is 12×12×1 images, expected 8×8×1/],
    [[...base, '--out', path.join(root, 'e2'), '--class', '3', '--classifier', clfDir], /--class 3: out of range, the classifier .*model\.json has 3 classes/],
    [[...base, '--out', path.join(root, 'e3'), '--class', 'stars', '--classifier', clfDir], /--class 'stars': not a class .*"bars", "cols", "dots"/],
    [[...base, '--out', path.join(root, 'e4'), '--class', '1'], /--class needs --classifier/],
    [[...base, '--out', path.join(root, 'e5'), '--classifier', clfDir], /--classifier needs --class/],
    [[...base, '--out', path.join(root, 'e6'), '--guidance', '1'], /--guidance needs --class/],
    [[...base, '--out', path.join(root, 'e6t'), '--guidance-temperature', '2'], /--guidance-temperature needs --class/],
    [[...base, '--out', path.join(root, 'e6z'), '--class', '1', '--classifier', clfDir, '--guidance-temperature', '0'], /--guidance-temperature.*> 0/],
    [[...base, '--out', path.join(root, 'e7'), '--class', '1', '--classifier', path.join(root, 'nowhere')], /nowhere\/model\.json: no such file/],
    [[...base, '--out', path.join(root, 'e8'), '--class', '1,1', '--classifier', clfDir], /class 1 is listed twice/],
    [[...base, '--out', path.join(root, 'e11'), '--class', '1', '--classifier', clfDir, '--classifier', twoClasses], /clf-2\/model\.json: has 2 classes, but .*clf\/model\.json has 3; classifiers that guide together must share their classes/],
    [[...base, '--out', path.join(root, 'e10'), '--class', '1', '--classifier', cfg], /tiny\.json: is a file; expected a classifier folder/],
    [['sample', '--run', toyRun, '--n', '2', '--out', path.join(root, 'e9.csv'), '--class', '1', '--classifier', clfDir, '--backend', 'cpu'], /guidance needs an image run/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('dggf:')).length, 1, r.stderr);
    const outDir = args[args.indexOf('--out') + 1];
    assert.ok(!fs.existsSync(outDir), `${outDir} was not created`);
  }
  assert.deepEqual(snapshot(runDir), before);

  // a classifier without class names: --class names come from the run's dataset when the count fits
  const unnamedDir = path.join(root, 'clf-unnamed');
  const unnamed = createClassifier({ image: { height: 8, width: 8, channels: 1 }, classes: 3, filters: [4], featureDim: 8 }, new Rng(2));
  await saveClassifier(unnamed, unnamedDir);
  unnamed.dispose();
  const named = path.join(root, 'guided-unnamed');
  const r = await cli([...base, '--out', named, '--class', 'cols', '--classifier', unnamedDir]);
  assert.equal(r.code, 0, r.stderr);
  const record = JSON.parse(fs.readFileSync(path.join(named, 'classes.json'), 'utf8'));
  assert.deepEqual(record.classes.map((c: { index: number; name: string }) => [c.index, c.name]), [[1, 'cols']]);
  assert.equal(record.guidance, 0.1, 'default φ');
});
