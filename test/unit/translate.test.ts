/**
 * Image-to-image translation: the data prior (draws from the source's train split, with
 * dequantisation noise, deterministic per seed, reloaded from its spec with a stored run), the
 * config rules of --prior-data, training with --prior-data on two tiny PNG folders (and an
 * exact resume), FlowModel.flowFrom, and `dggf translate` (one input|output PNG per input,
 * grid.png, translate.json, same seed → same bytes) with its errors (exit 2).
 * The CLI runs from the TypeScript sources (tsx), so no build is needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { initEngine, tf } from '../../src/engine/index.js';
import { Rng } from '../../src/util/rng.js';
import { encodeJpeg, imagesToFloat, makeImageDataset } from '../../src/data/images/index.js';
import { dataPrior, dataPriorState, isDataPrior, priorFromState } from '../../src/priors/index.js';
import { loadPriorSource } from '../../src/priors/image-source.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { TRANSLATION_EXTRA_STEPS } from '../../src/config/presets.js';
import { ConfigError } from '../../src/config/schema.js';
import { resolveDataset } from '../../src/data/index.js';
import { loadRun, trainRun } from '../../src/train/run.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { readStoredRun } from '../../src/train/run-folder.js';
import { ROOT, snapshot, tempDir, type CliResult } from '../helpers/cli.js';

const MAIN = pathToFileURL(path.join(ROOT, 'src', 'cli', 'main.ts')).href;

/** `dggf …` from the sources, in a child process. */
function cli(args: string[]): CliResult {
  const script = `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, CI: 'true' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A size×size RGBA PNG: a 3×3 square of `col` at (x0, y0) on `bg`. */
function squarePng(size: number, x0: number, y0: number, col: number[], bg: number[]): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = x >= x0 && x < x0 + 3 && y >= y0 && y < y0 + 3;
      const o = (y * size + x) * 4;
      const c = inside ? col : bg;
      png.data[o] = c[0];
      png.data[o + 1] = c[1];
      png.data[o + 2] = c[2];
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Domain A: bright squares on dark; domain B: dark squares on bright (n images each, 8×8 RGB). */
function writeDomain(dir: string, n: number, size: number, dark: boolean, seed: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const col = [rng.int(256), rng.int(256), rng.int(256)];
    const bg = dark ? [20, 20, 20] : [230, 230, 230];
    const png = squarePng(size, rng.int(size - 3), rng.int(size - 3), col, bg);
    fs.writeFileSync(path.join(dir, `img${String(i).padStart(3, '0')}.png`), png);
  }
}

const root = tempDir('translate');
const source = path.join(root, 'A');
const target = path.join(root, 'B');
writeDomain(source, 25, 8, true, 1);
writeDomain(target, 25, 8, false, 2);
const cfg = path.join(root, 'tiny.json');
const tinyFields = {
  net: { type: 'cnn', channels: [4, 4], activation: 'leaky_relu' },
  iterations: 2,
  flowSteps: 3,
  batch: 8,
  logEvery: 1,
  checkpointEvery: 1,
  previewEvery: 0,
  imageSize: 8,
};
fs.writeFileSync(cfg, JSON.stringify(tinyFields));
const run = path.join(root, 'run');
const trained = cli(['train', '--prior-data', source, '--data', target, '--preset', 'emoji-cpu', '--config', cfg, '--out', run]);

/** Root-mean-square difference of two equal-length arrays. */
function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** Mirror one HWC image left–right. */
function mirrored(img: Float32Array, size: number, channels: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < channels; c++) out[(y * size + x) * channels + c] = img[(y * size + (size - 1 - x)) * channels + c];
    }
  }
  return out;
}

test('data prior: draws are train-split images (flipped or not) plus σ noise, never test images; deterministic per seed', () => {
  const rng = new Rng(7);
  const shape = { height: 8, width: 8, channels: 3 as const };
  const per = 8 * 8 * 3;
  const train = { count: 12, pixels: new Uint8Array(12 * per).map(() => rng.int(256)) };
  const test_ = { count: 4, pixels: new Uint8Array(4 * per).map(() => rng.int(256)) };
  const src = makeImageDataset({ name: 'src', image: shape, train, test: test_, flip: true });
  const state = dataPriorState('src-spec', src, { size: 8, dequantize: 0.03 });
  assert.deepEqual(state, { name: 'data', dim: per, source: 'src-spec', size: 8, dequantize: 0.03, flip: true, image: shape });
  const prior = dataPrior(state, src);
  assert.ok(isDataPrior(prior));
  const n = 40;
  const draws = prior.sample(n, new Rng(1));
  const trainImgs = Array.from({ length: train.count }, (_, i) => imagesToFloat(train, [i]));
  const candidates = [...trainImgs, ...trainImgs.map((t) => mirrored(t, 8, 3))];
  const testImgs = Array.from({ length: test_.count }, (_, i) => imagesToFloat(test_, [i]));
  let flipped = 0;
  for (let i = 0; i < n; i++) {
    const d = draws.subarray(i * per, (i + 1) * per);
    const dists = candidates.map((c) => rms(d, c));
    const best = Math.min(...dists);
    assert.ok(best > 0.02 && best < 0.04, `draw ${i}: RMS distance ${best} to the nearest train image is the σ = 0.03 noise`);
    if (dists.indexOf(best) >= train.count) flipped++;
    for (const t of testImgs) assert.ok(rms(d, t) > 0.3, `draw ${i} is not a test image`);
  }
  assert.ok(flipped > 5 && flipped < 35, `about half the draws are flipped (${flipped} of ${n})`);
  assert.deepEqual(Array.from(prior.sample(5, new Rng(3))), Array.from(prior.sample(5, new Rng(3))));
  assert.notDeepEqual(Array.from(prior.sample(5, new Rng(3))), Array.from(prior.sample(5, new Rng(4))));
  // a source that does not flip (digits), or a run that turns flips off, never flips
  assert.equal(dataPriorState('s', { ...src, flip: false }, { dequantize: 0.03 }).flip, false);
  assert.equal(dataPriorState('s', src, { dequantize: 0.03, flip: false }).flip, false);
  // the state alone cannot draw: the source images must be loaded
  assert.throws(() => priorFromState(state), /source 'src-spec', which must be loaded/);
  // a source whose images changed shape is refused
  const other = makeImageDataset({ name: 'small', image: { height: 4, width: 4, channels: 3 }, train: { count: 1, pixels: new Uint8Array(48) }, flip: true });
  assert.throws(() => dataPrior(state, other), /now holds 4×4×3 .* expected 8×8×3/);
});

test('config: --prior-data records prior data, no normalisation; conflicting --prior / --normalize are refused; the translation preset', () => {
  const base = { data: 'mnist', priorData: 'fashion-mnist' };
  const { config } = resolveConfig({ preset: 'toy', overrides: base, defaults: {} });
  assert.equal(config.prior, 'data');
  assert.equal(config.priorData, 'fashion-mnist');
  assert.equal(config.normalize, false, 'the toy preset normalises, but not with a data prior');
  assert.throws(() => resolveConfig({ preset: 'mnist-cpu', overrides: { ...base, prior: 'gaussian' }, defaults: {} }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /--prior gaussian conflicts with --prior-data fashion-mnist/);
    return true;
  });
  assert.throws(() => resolveConfig({ preset: 'mnist-cpu', overrides: { ...base, normalize: true }, defaults: {} }), /--normalize is not supported with --prior-data/);
  assert.throws(() => resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', prior: 'data' }, defaults: {} }), /set priorData \(--prior-data SOURCE\)/);
  const tr = resolveConfig({ preset: 'emoji-translate-cpu', overrides: {}, defaults: {} }).config;
  assert.equal(tr.data, 'emoji-twitter');
  assert.equal(tr.priorData, 'emoji-google');
  assert.equal(tr.prior, 'data');
  assert.equal(tr.loss, 'lr');
  assert.equal(tr.divergence, 'kl');
  // a short training flow; the CPU translation presets keep the κ eval:translate measured (K + 2)
  assert.ok(tr.flowSteps >= 5 && tr.flowSteps <= 20);
  assert.equal(tr.sampleExtraSteps, 2);
  const om = resolveConfig({ preset: 'openmoji-translate-cpu', overrides: {}, defaults: {} }).config;
  assert.equal(om.data, 'openmoji-color');
  assert.equal(om.priorData, 'openmoji-black');
  assert.equal(om.prior, 'data');
  // any other image preset given --prior-data translates with the authors' K + 10
  assert.equal(resolveConfig({ preset: 'emoji-cpu', overrides: { data: 'emoji-twitter', priorData: 'emoji-google' }, defaults: {} }).config.sampleExtraSteps, TRANSLATION_EXTRA_STEPS);
  assert.equal(TRANSLATION_EXTRA_STEPS, 10, "the authors' K + 10");
  // the authors' cat2dog setting: resnetshallow with self-attention and spectral norm, 40k iterations, lr ×0.1 at 20k and 30k
  const paper = resolveConfig({ preset: 'paper-translate-64', overrides: {}, defaults: {} }).config;
  assert.deepEqual([paper.prior, paper.priorData, paper.data, paper.imageSize], ['data', 'emoji-google', 'emoji-twitter', 64]);
  assert.deepEqual([paper.loss, paper.divergence, paper.flowSteps, paper.sampleExtraSteps, paper.eta, paper.noise], ['lsif', 'chi2', 100, 10, 3, 0.01]);
  assert.deepEqual([paper.iterations, paper.lrMilestones, paper.lrGamma, paper.lr, paper.batch, paper.emaDecay], [40000, [20000, 30000], 0.1, 1e-4, 64, 0.998]);
  assert.equal(paper.net.type, 'basic-resnet');
  assert.ok(paper.net.type === 'basic-resnet' && paper.net.attentionAfter === 2 && paper.net.spectralNorm === true);
  // a folder spec is stored absolute, as --data is
  const abs = resolveConfig({ preset: 'emoji-cpu', overrides: { data: target, priorData: path.relative(process.cwd(), source) }, defaults: {} }).config;
  assert.equal(abs.priorData, source);
});

test('train --prior-data on two PNG folders: prior data recorded without images, a report, then a resume', () => {
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /prior: the training images of .*A: 23 train \/ 2 test images, 8×8×3/);
  const stored = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.equal(stored.config.prior, 'data');
  assert.equal(stored.config.priorData, source);
  assert.deepEqual(stored.derived.prior, {
    name: 'data',
    dim: 192,
    source,
    size: 8,
    dequantize: 0.03,
    flip: true,
    image: { height: 8, width: 8, channels: 3 },
  });
  assert.ok(!fs.existsSync(path.join(run, 'prior.bin')), 'no prior arrays are stored');
  assert.ok(fs.existsSync(path.join(run, 'report.html')));
  const resumed = cli(['train', '--out', run, '--iterations', '3', '--no-report']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(fs.existsSync(path.join(run, 'checkpoints', 'iter-0000003.ckpt')), 'resumed to iteration 3');
});

test('a stored run reloads its data prior from the spec; a resumed run matches an uninterrupted one exactly', async () => {
  await initEngine('wasm');
  const { model } = loadRun(run);
  try {
    assert.ok(isDataPrior(model.prior));
    const state = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).derived.prior;
    const fresh = dataPrior(state, loadPriorSource(source, { size: 8 }));
    assert.deepEqual(Array.from(model.prior.sample(4, new Rng(2))), Array.from(fresh.sample(4, new Rng(2))));
    // flowFrom: 0 steps give the inputs back; a seed replays the same outputs
    const x = imagesToFloat(model.prior.source.test!);
    assert.deepEqual(Array.from((await model.flowFrom(x, 2, { seed: 1, steps: 0 })).samples), Array.from(x));
    const a = await model.flowFrom(x, 2, { seed: 5, trajectoryEvery: 1 });
    const tensors = tf.memory().numTensors;
    assert.deepEqual(Array.from((await model.flowFrom(x, 2, { seed: 5 })).samples), Array.from(a.samples));
    assert.equal(tf.memory().numTensors, tensors, 'flowFrom leaves no tensors behind');
    assert.deepEqual(a.trajectory!.map((t) => t.step), Array.from({ length: 3 + TRANSLATION_EXTRA_STEPS + 1 }, (_, i) => i), 'K + 10 steps by default');
    assert.ok(Number.isFinite(a.klEstimate), 'the KL estimate of the LR-KL net');
    await assert.rejects(() => model.flowFrom(x, 3, { seed: 1 }), /expected n ≥ 1 points of 192 values/);
  } finally {
    model.dispose();
  }
  // a config.json whose data prior lost its source spec is refused, naming the field
  const edited = path.join(root, 'edited');
  fs.mkdirSync(edited, { recursive: true });
  const json = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  delete json.derived.prior.source;
  fs.writeFileSync(path.join(edited, 'config.json'), JSON.stringify(json));
  assert.throws(() => readStoredRun(edited), /config\.json: derived\.prior: a data prior needs its source spec/);

  const { config, explicitKeys } = resolveConfig({
    preset: 'emoji-cpu',
    configFile: cfg,
    overrides: { data: target, priorData: source, iterations: 4 },
    defaults: {},
  });
  const dataset = resolveDataset(target, { imageSize: 8 });
  const dirA = path.join(root, 'exact-a');
  const dirB = path.join(root, 'exact-b');
  await trainRun({ dir: dirA, config, explicitKeys, dataset });
  assert.equal((await trainRun({ dir: dirB, config, explicitKeys, dataset, stopAfter: 2 })).status, 'stopped');
  await trainRun({ dir: dirB, config, explicitKeys, dataset });
  const ca = readCheckpoint(path.join(dirA, 'checkpoints', 'iter-0000004.ckpt'));
  const cb = readCheckpoint(path.join(dirB, 'checkpoints', 'iter-0000004.ckpt'));
  assert.deepEqual(cb.rng, ca.rng);
  ca.tensors.forEach((t, i) => assert.deepEqual(Array.from(cb.tensors[i].values), Array.from(t.values), t.name));
});

test('train --prior-data errors: shapes differ (both named), a points source, --prior conflict; exit 2, nothing written', () => {
  const grey = path.join(root, 'grey');
  fs.mkdirSync(grey, { recursive: true });
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(grey, `g${i}.png`), squarePng(8, i, i, [200, 200, 200], [10, 10, 10]));
  const out = (name: string) => path.join(root, name);
  const cases: [string[], RegExp[]][] = [
    // mnist is 28×28×1; a folder loads at 32×32 by default
    [['train', '--prior-data', 'mnist', '--data', target, '--preset', 'mnist-cpu', '--out', out('r-mnist')], [/mnist holds 28×28×1/, /32×32×3/, /--size/]],
    [['train', '--prior-data', grey, '--data', target, '--preset', 'emoji-cpu', '--config', cfg, '--out', out('r-grey')], [/8×8×1 \(grey\)/, /8×8×3 \(RGB\)/, /channels differ/]],
    [['train', '--prior-data', '8gaussians', '--data', target, '--preset', 'emoji-cpu', '--config', cfg, '--out', out('r-points')], [/--prior-data 8gaussians is 2-D points, expected an image dataset/]],
    [['train', '--prior-data', source, '--prior', 'uniform', '--data', target, '--preset', 'emoji-cpu', '--out', out('r-prior')], [/--prior uniform conflicts with --prior-data/]],
    [['train', '--prior-data', path.join(root, 'nowhere'), '--data', target, '--preset', 'emoji-cpu', '--config', cfg, '--out', out('r-missing')], [/--prior-data .*nowhere/]],
  ];
  for (const [args, patterns] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    for (const p of patterns) assert.match(r.stderr, p, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('dggf:')).length, 1, r.stderr);
    assert.ok(!fs.existsSync(args[args.length - 1]), 'no run folder was created');
  }
});

const inputs = path.join(root, 'inputs');
fs.mkdirSync(path.join(inputs, 'sub'), { recursive: true });
fs.writeFileSync(path.join(inputs, 'cat.png'), squarePng(8, 1, 1, [250, 10, 10], [20, 20, 20]));
fs.writeFileSync(path.join(inputs, 'sub', 'big.png'), squarePng(12, 4, 4, [10, 250, 10], [20, 20, 20]));
{
  const png = PNG.sync.read(squarePng(8, 3, 2, [10, 10, 250], [20, 20, 20]));
  fs.writeFileSync(path.join(inputs, 'dog.jpg'), encodeJpeg(new Uint8Array(png.data), 8, 8));
}

/** The left (input) and right (output) halves of a side-by-side pair PNG, as RGBA rows. */
function halves(file: string): { width: number; height: number; left: number[]; right: number[] } {
  const png = PNG.sync.read(fs.readFileSync(file));
  const left: number[] = [];
  const right: number[] = [];
  const w = png.width / 2;
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const px = Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
      (x < w ? left : right).push(...px);
    }
  }
  return { width: png.width, height: png.height, left, right };
}

test('translate --input: one input|output PNG per input under its own name, grid.png, translate.json; same seed → same bytes', () => {
  const out = path.join(root, 'tr');
  const r = cli(['translate', '--run', run, '--input', inputs, '--out', out, '--seed', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: 1 of 3 inputs were not 8×8: centre-cropped and resized/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['cat.png', 'dog.png', 'grid.png', 'sub_big.png', 'translate.json']);
  const cat = halves(path.join(out, 'cat.png'));
  assert.equal(cat.width, 16);
  assert.equal(cat.height, 8);
  // the left half is the input itself (already 8×8 RGB), the right half its translation
  assert.deepEqual(cat.left, Array.from(PNG.sync.read(fs.readFileSync(path.join(inputs, 'cat.png'))).data));
  assert.notDeepEqual(cat.right, cat.left);
  const record = JSON.parse(fs.readFileSync(path.join(out, 'translate.json'), 'utf8'));
  assert.equal(record.run, path.resolve(run));
  assert.equal(record.steps, 3 + TRANSLATION_EXTRA_STEPS, "the run's K + 10 by default (the authors')");
  assert.equal(record.seed, 3);
  assert.equal(record.source, source);
  assert.deepEqual(record.inputs, [
    { input: 'cat.png', output: 'cat.png' },
    { input: 'dog.jpg', output: 'dog.png' },
    { input: 'sub/big.png', output: 'sub_big.png' },
  ]);
  const grid = PNG.sync.read(fs.readFileSync(path.join(out, 'grid.png')));
  assert.ok(grid.height > 2 * 16 && grid.height < 3 * 16 + 8, `two rows (inputs over outputs): height ${grid.height}`);
  // the same seed gives the same bytes; another seed other outputs
  const again = path.join(root, 'tr-again');
  assert.equal(cli(['translate', '--run', run, '--input', inputs, '--out', again, '--seed', '3']).code, 0);
  assert.deepEqual(snapshot(again), snapshot(out));
  const other = path.join(root, 'tr-other');
  assert.equal(cli(['translate', '--run', run, '--input', path.join(inputs, 'cat.png'), '--out', other, '--seed', '4', '--steps', '5']).code, 0);
  assert.deepEqual(fs.readdirSync(other).sort(), ['cat.png', 'grid.png', 'translate.json']);
  assert.notDeepEqual(halves(path.join(other, 'cat.png')).right, cat.right);
  assert.equal(JSON.parse(fs.readFileSync(path.join(other, 'translate.json'), 'utf8')).steps, 5);
});

test("translate --held-out: the source's test split (never trained on), named 000000.png …", () => {
  const out = path.join(root, 'held-out');
  const r = cli(['translate', '--run', run, '--held-out', '--n', '5', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['000000.png', '000001.png', 'grid.png', 'translate.json']);
  // the folder's held-out images are every 10th file: img009 and img019
  for (const [file, name] of [['000000.png', 'img009.png'], ['000001.png', 'img019.png']]) {
    assert.deepEqual(halves(path.join(out, file)).left, Array.from(PNG.sync.read(fs.readFileSync(path.join(source, name))).data), file);
  }
  const record = JSON.parse(fs.readFileSync(path.join(out, 'translate.json'), 'utf8'));
  assert.deepEqual(record.inputs.map((i: { input: string }) => i.input), ['test[0]', 'test[1]']);
});

test('translate errors: exit 2 with one line naming the problem', () => {
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty, { recursive: true });
  fs.writeFileSync(path.join(empty, 'readme.txt'), 'no images');
  const corrupt = path.join(root, 'corrupt');
  fs.mkdirSync(corrupt, { recursive: true });
  fs.copyFileSync(path.join(inputs, 'cat.png'), path.join(corrupt, 'ok.png'));
  fs.writeFileSync(path.join(corrupt, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  const file = path.join(root, 'a-file.txt');
  fs.writeFileSync(file, 'x');
  const out = path.join(root, 'tr-err');
  const cases: [string[], RegExp][] = [
    [['translate', '--run', run, '--input', empty, '--out', out], /--input .*empty: no images in this folder/],
    [['translate', '--run', run, '--input', path.join(root, 'missing'), '--out', out], /--input .*missing: not found/],
    [['translate', '--run', run, '--input', corrupt, '--out', out], /broken\.png/],
    [['translate', '--run', run, '--input', inputs, '--out', file], /--out .*a-file\.txt: is a file/],
    [['translate', '--run', run, '--out', out], /give --input DIR\|FILE .* or --held-out/],
    [['translate', '--run', run, '--input', inputs, '--held-out', '--out', out], /--input and --held-out/],
    [['translate', '--run', root, '--input', inputs, '--out', out], /not a dggf run folder/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('dggf:')).length, 1, r.stderr);
  }
  assert.ok(!fs.existsSync(out), 'nothing was written');
});

test('translate with a run whose prior is not a data prior: a note (and --held-out refused)', () => {
  const plain = path.join(root, 'plain');
  const t = cli(['train', '--data', target, '--preset', 'emoji-cpu', '--config', cfg, '--iterations', '1', '--no-report', '--out', plain]);
  assert.equal(t.code, 0, t.stderr);
  const r = cli(['translate', '--run', plain, '--input', path.join(inputs, 'cat.png'), '--out', path.join(root, 'tr-plain')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: the run's prior is 'data-gmm', not a data prior/);
  const h = cli(['translate', '--run', plain, '--held-out', '--out', path.join(root, 'tr-plain-2')]);
  assert.equal(h.code, 2, h.stderr);
  assert.match(h.stderr, /--held-out: .*'data-gmm' prior, not a source dataset/);
});

test('a run whose source images are gone: a clear error naming config.json and the spec', async () => {
  const moved = `${source}-moved`;
  fs.renameSync(source, moved);
  try {
    await initEngine('wasm');
    assert.throws(() => loadRun(run), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.includes(path.join(run, 'config.json')), e.message);
      assert.ok(e.message.includes(`priorData '${source}'`), e.message);
      return true;
    });
    // your own images translate without the source; the held-out split needs it
    const r = cli(['translate', '--run', run, '--input', inputs, '--out', path.join(root, 'tr-gone')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(root, 'tr-gone', 'grid.png')));
    const h = cli(['translate', '--run', run, '--held-out', '--out', path.join(root, 'tr-gone-held')]);
    assert.equal(h.code, 2, h.stderr);
    assert.match(h.stderr, /the data prior's source images \(priorData '.*A'\) cannot be loaded/);
    assert.ok(!fs.existsSync(path.join(root, 'tr-gone-held')));
    // generating (sample) from a translation run flows the source's images: without them, one
    // line naming the source, exit 2, nothing written and the run folder unchanged
    const before = snapshot(run);
    const s = cli(['sample', '--run', run, '--n', '4', '--out', path.join(root, 'sample-gone')]);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /priorData '.*A'/);
    assert.equal(s.stderr.trim().split('\n').filter((l) => l.startsWith('dggf:')).length, 1, s.stderr);
    assert.ok(!/\n\s+at /.test(s.stderr), `no stack trace: ${s.stderr}`);
    assert.ok(!fs.existsSync(path.join(root, 'sample-gone')));
    assert.deepEqual(snapshot(run), before);
  } finally {
    fs.renameSync(moved, source);
  }
});
