/**
 * `npm run eval:translate`: unpaired image-to-image translation, Google (Noto) emoji → Twitter
 * (Twemoji) emoji, with the `emoji-translate-cpu` preset. Too slow for `npm test`.
 *
 * Trains the preset (fixed seed, a resumable run folder), then translates the held-out
 * Google emoji (the test split: never seen in training, in either domain) and checks:
 * - style: KID on our emoji features of the translated images against Twitter emoji is at
 *   least 2× lower than that of the untranslated inputs;
 * - content: each output is closer (pixel L2 after a Gaussian blur, σ 1 px) to its own input
 *   than to a random other input for ≥ 80% of the images.
 * Figures go to bench/RESULTS.md ("Emoji translation"), a before/after grid to
 * docs/emoji-translation.png.
 *
 *   npm run eval:translate [-- --seed 0 --out bench/runs/emoji-translate --steps N]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { resolveDataset, isImageDataset, isCodedImageDataset, imagesToFloat, type ImageDataset, type ImageShape } from '../src/data/index.js';
import { trainRun, loadRun } from '../src/train/run.js';
import { loadFeatureNet, trainFeatureNet, extractFeatures } from '../src/eval/features.js';
import { kid } from '../src/eval/kid.js';
import { clampImages } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { Rng } from '../src/util/rng.js';
import { opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';
import { replaceSection } from './results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(opt('seed', '0'));
const OUT = opt('out', path.join(HERE, 'runs', `emoji-translate-seed${SEED}`));
const ITERATIONS = opt('iterations', '');
const STEPS = opt('steps', '');
const KID_GOAL = 2;
const CONTENT_GOAL = 0.8;

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const f3 = (v: number): string => (Number.isFinite(v) ? v.toPrecision(3) : String(v));

/** Separable Gaussian blur (σ 1 px, radius 3, edges clamped) of n HWC images, per channel. */
export function blurImages(x: Float32Array, n: number, s: ImageShape): Float32Array {
  const w = [-3, -2, -1, 0, 1, 2, 3].map((d) => Math.exp(-(d * d) / 2));
  const sum = w.reduce((a, b) => a + b, 0);
  const k = w.map((v) => v / sum);
  const { height: H, width: W, channels: C } = s;
  const tmp = new Float32Array(x.length);
  const out = new Float32Array(x.length);
  const at = (i: number, y: number, xx: number, c: number) => ((i * H + y) * W + xx) * C + c;
  const clampI = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let c = 0; c < C; c++) {
          let a = 0;
          for (let d = -3; d <= 3; d++) a += k[d + 3] * x[at(i, y, clampI(xx + d, W - 1), c)];
          tmp[at(i, y, xx, c)] = a;
        }
  for (let i = 0; i < n; i++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++)
        for (let c = 0; c < C; c++) {
          let a = 0;
          for (let d = -3; d <= 3; d++) a += k[d + 3] * tmp[at(i, clampI(y + d, H - 1), xx, c)];
          out[at(i, y, xx, c)] = a;
        }
  return out;
}

function sqDist(a: Float32Array, i: number, b: Float32Array, j: number, per: number): number {
  let s = 0;
  for (let k = 0; k < per; k++) {
    const d = a[i * per + k] - b[j * per + k];
    s += d * d;
  }
  return s;
}

/** Fraction of outputs closer (blurred L2) to their own input than to one random other input. */
function contentKept(inputs: Float32Array, outputs: Float32Array, n: number, s: ImageShape, rng: Rng): number {
  const per = s.height * s.width * s.channels;
  const bi = blurImages(inputs, n, s);
  const bo = blurImages(outputs, n, s);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    let j = rng.int(n - 1);
    if (j >= i) j++;
    if (sqDist(bo, i, bi, i, per) < sqDist(bo, i, bi, j, per)) kept++;
  }
  return kept / n;
}

function imageSet(ds: ImageDataset, which: 'train' | 'test'): { x: Float32Array; n: number } {
  const split = which === 'test' ? ds.test : ds.train;
  if (!split || split.count === 0) throw new Error(`${ds.name} has no ${which} split`);
  return { x: imagesToFloat(split), n: split.count };
}

async function main(): Promise<void> {
  await initEngine(opt('backend', 'wasm'));
  const info = await engineInfo();
  const source = resolveDataset('emoji-google');
  const target = resolveDataset('emoji-twitter');
  if (!isImageDataset(source) || !isImageDataset(target)) throw new Error('emoji domains did not load as images');

  let features;
  try {
    features = await loadFeatureNet('emoji', { image: target.image });
  } catch {
    const emoji = resolveDataset('emoji');
    if (!isImageDataset(emoji)) throw new Error('emoji did not load as images');
    console.log('training the emoji feature net (dggf features train --data emoji) …');
    features = await trainFeatureNet(emoji, { seed: 0 });
  }
  const scale = features.meta.featureScale ?? 1;
  console.log(`feature net: ${features.dir} (category accuracy ${pct(features.meta.testAccuracy)})`);

  const overrides = { seed: SEED, ...(ITERATIONS ? { iterations: Number(ITERATIONS) } : {}) };
  const { config, explicitKeys } = resolveConfig({ preset: 'emoji-translate-cpu', overrides, defaults: {} });
  const result = await trainRun({
    dir: OUT,
    config,
    explicitKeys,
    dataset: target,
    onEvent: (e) => {
      if (e.type === 'log') {
        const st = e.stats;
        const est = st.klEstimate ?? st.chi2Estimate;
        console.log(`it ${st.iteration} loss ${st.loss.toFixed(4)} est ${est?.toFixed(3)} ${e.itPerSec.toFixed(2)} it/s ETA ${(e.etaSeconds / 60).toFixed(1)} min`);
      }
    },
  });
  if (result.status !== 'done') throw new Error(`training stopped: ${result.status}`);
  const metrics = fs.readFileSync(path.join(OUT, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { elapsed_s: number });
  const totalMinutes = metrics[metrics.length - 1].elapsed_s / 60;

  const { model } = loadRun(OUT);
  const steps = STEPS ? Number(STEPS) : model.config.flowSteps;
  const src = imageSet(source, 'test');
  const n = src.n;
  const t1 = performance.now();
  const out = clampImages((await model.flowFrom(src.x, n, { seed: 2024 + SEED, steps })).samples);
  const seconds = (performance.now() - t1) / 1000;
  model.dispose();

  const refTest = imageSet(target, 'test');
  const refTrain = imageSet(target, 'train');
  const feats = async (x: Float32Array, m: number) => {
    const f = await extractFeatures(features, x, m);
    for (let i = 0; i < f.length; i++) f[i] /= scale;
    return f;
  };
  const d = features.classifier.featureDim;
  const fIn = await feats(src.x, n);
  const fOut = await feats(out, n);
  const fTest = await feats(refTest.x, refTest.n);
  const fTrain = await feats(refTrain.x, refTrain.n);
  const kidOpts = { subsets: 20, subsetSize: Math.floor(Math.min(n, refTest.n) / 2), seed: 0 };
  const kIn = kid(fIn, fTest, d, kidOpts);
  const kOut = kid(fOut, fTest, d, kidOpts);
  const kInTr = kid(fIn, fTrain, d, kidOpts);
  const kOutTr = kid(fOut, fTrain, d, kidOpts);
  const content = contentKept(src.x, out, n, source.image, new Rng(31 + SEED));
  const kidRatio = kIn.kid / Math.max(kOut.kid, 1e-12);
  // how much the pixels moved, and a control: the inputs with the flow's own noise alone
  // (ν √steps), which tells whether the KID drop needs the learned drift
  let moved = 0;
  for (let i = 0; i < out.length; i++) moved += Math.abs(out[i] - src.x[i]);
  moved /= out.length;
  const noise = new Rng(77 + SEED).normalArray(src.x.length);
  const sd = model.config.noise * Math.sqrt(steps);
  const control = clampImages(Float32Array.from(src.x, (v, i) => v + sd * noise[i]));
  const kCtrl = kid(await feats(control, n), fTest, d, kidOpts);
  console.log(`KID vs twitter held-out: inputs ${f3(kIn.kid)} → translated ${f3(kOut.kid)} (${kidRatio.toFixed(2)}× lower; noise-only control ${f3(kCtrl.kid)}); content kept ${pct(content)}; mean |Δpixel| ${(moved * 127.5).toFixed(1)}/255`);

  // 16 held-out emoji spread over the categories: input, translation, the Twitter original
  // (the two packages hold out the same emoji, in the same order)
  const show = 16;
  const per = source.dim;
  const tw = refTest.x;
  const codes = (ds: ImageDataset) => (isCodedImageDataset(ds) ? ds.codes.test : null);
  const sameCodes = JSON.stringify(codes(source)) === JSON.stringify(codes(target)) && codes(source) !== null;
  const grid = new Float32Array(3 * show * per);
  for (let j = 0; j < show; j++) {
    const k = Math.floor(((j + 0.5) * n) / show);
    const r = Math.floor(j / 8);
    const c = j % 8;
    grid.set(src.x.subarray(k * per, (k + 1) * per), (3 * r * 8 + c) * per);
    grid.set(out.subarray(k * per, (k + 1) * per), ((3 * r + 1) * 8 + c) * per);
    if (sameCodes) grid.set(tw.subarray(k * per, (k + 1) * per), ((3 * r + 2) * 8 + c) * per);
  }
  fs.mkdirSync(path.join(HERE, '..', 'docs'), { recursive: true });
  fs.writeFileSync(path.join(HERE, '..', 'docs', 'emoji-translation.png'), imageGridPng(grid, 3 * show, source.image, { cols: 8 }));

  const verdict = (ok: boolean) => (ok ? 'pass' : '**FAIL**');
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    `## Emoji translation (Google → Twitter, \`emoji-translate-cpu\`, seed ${SEED}) — ${date}`,
    '',
    `Written by \`npm run eval:translate\` (bench/eval-translate.ts) on ${info.cpus} × ${info.cpuModel}, engine ${engineLabel(info)}.`,
    `Training: ${result.iteration} iterations in ${totalMinutes.toFixed(1)} min (prior: Google emoji train split; data: Twitter emoji; ${config.loss.toUpperCase()}-${config.divergence}, ${JSON.stringify(config.net)}, K ${config.flowSteps}, η ${config.eta}, ν ${config.noise}, batch ${config.batch}, lr ${config.lr}).`,
    `Translated: the ${n} held-out Google emoji (test split, never trained on in either domain), ${steps} flow steps, EMA weights, ${seconds.toFixed(0)} s. KID on our emoji features (category accuracy ${pct(features.meta.testAccuracy)}), ${kidOpts.subsets} subsets of ${kidOpts.subsetSize}.`,
    '',
    '| check | untranslated inputs | translated | goal | verdict |',
    '|---|---|---|---|---|',
    `| KID vs held-out Twitter emoji (${refTest.n}) | ${f3(kIn.kid)} ± ${f3(kIn.std)} | ${f3(kOut.kid)} ± ${f3(kOut.std)} | ≥ ${KID_GOAL}× lower (got ${kidRatio.toFixed(2)}×) | ${verdict(kidRatio >= KID_GOAL)} |`,
    `| KID vs Twitter train split (${refTrain.n}) | ${f3(kInTr.kid)} | ${f3(kOutTr.kid)} | — | — |`,
    `| output closer to its own input than to a random other (blurred L2) | 100% | ${pct(content)} | ≥ ${pct(CONTENT_GOAL)} | ${verdict(content >= CONTENT_GOAL)} |`,
    `| control: inputs + the flow's noise alone (σ ${sd.toFixed(3)}), KID vs held-out Twitter | — | ${f3(kCtrl.kid)} | — | — |`,
    `| mean pixel change | — | ${(moved * 127.5).toFixed(1)} / 255 | — | — |`,
    '',
    "KID on a small classifier's features can fall for pixel changes a person hardly sees: read it with the pixel change, the noise-only control and the grid (does the output look like the Twitter original?).",
    '',
    'Groups of three rows: held-out Google inputs, their translations, the Twitter originals of the same emoji.',
    '',
    '![Google emoji, their translations, and the Twitter originals](../docs/emoji-translation.png)',
    '',
  ].join('\n');
  replaceSection(path.join(HERE, 'RESULTS.md'), '## Emoji translation', section);
  console.log(section);
}

runScript(main);
