/**
 * `npm run eval:translate`: unpaired image-to-image translation, judged against the true
 * pairs the packages give (the same emoji, by code, in both styles). Too slow for `npm test`.
 *
 * Two pairs of domains (--pair emoji | openmoji | both, default both):
 * - emoji: Google (Noto) → Twitter (Twemoji), preset `emoji-translate-cpu`;
 * - openmoji: OpenMoji black line-art → OpenMoji colour, preset `openmoji-translate-cpu`.
 *
 * For each: trains the preset (fixed seed, a resumable run folder), trains a DOMAIN classifier
 * (source vs target style) on the train splits of both domains (src/eval/domain-classifier.ts),
 * then translates the held-out source emoji (test split: never trained on, in either domain,
 * by the flow or by the classifier) with the EMA weights and checks (src/eval/translation.ts):
 * - ≥ 80% of the outputs are judged target style (the inputs' own share is reported);
 * - the mean RMSE from output to the target image of the same emoji is ≥ 15% (emoji) / 30%
 *   (openmoji) lower than from the input;
 * - ≥ 70% of outputs are closer to their pair than their input was;
 * - each output still shows its own emoji: nearer to its own pair than to another held-out
 *   emoji's pair in ≥ 80% of the comparisons (every output against every other emoji); the
 *   stricter rank-1 share (nearer than to all the others at once) is reported beside it.
 * Scales, not goals: retrieval baselines with the pairing (the target pair of the nearest training
 * source images) and without it, as the flow (the nearest training target images themselves).
 * Figures go to bench/RESULTS.md, grids (input | output | true pair) to docs/.
 *
 *   npm run eval:translate [-- --pair emoji|openmoji|both --seed 0 --steps N --iterations N
 *                              --config FILE --experiment NAME --choose-steps A,B,…]
 *
 * --config lays a JSON file of config fields over the preset; with --experiment NAME the run
 * goes to bench/runs/translate-<pair>-NAME and its figures to their own RESULTS section
 * ("Translation experiment: NAME (<pair>)"), leaving the main sections and grids alone.
 * --run-emoji DIR / --run-openmoji DIR evaluate (or finish) a run folder trained elsewhere.
 * --adversarial R trains the domain classifier adversarially (L2 radius R; twice the cost).
 * --classifier-only trains (or loads) the domain classifiers and stops.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveDataset, isImageDataset, isCodedImageDataset, imagesToFloat, type CodedImageDataset } from '../src/data/index.js';
import { loadRun } from '../src/train/run.js';
import { clampImages } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { loadClassifier, saveClassifier } from '../src/train/classifier-file.js';
import { type ImageClassifier } from '../src/nets/classifier.js';
import { trainDomainClassifier, targetShare } from '../src/eval/domain-classifier.js';
import { pairByCode, pairedTranslationFigures, pairedBaselines, unpairedBaselines, meanAbsChange, gaussianBlur } from '../src/eval/translation.js';
import { flag, opt, runScript } from './args.js';
import { Rng } from '../src/util/rng.js';
import { engineLabel } from './engine-label.js';
import { replaceSection } from './results-file.js';
import { pct, f3, trainPreset } from './image-eval.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(opt('seed', '0'));
const STEPS = opt('steps', '');
const ITERATIONS = opt('iterations', '');
const CONFIG = opt('config', '');
const EXPERIMENT = opt('experiment', '');
const PAIR = opt('pair', 'both');
/**
 * --choose-steps A,B,…: the figures at each step count on 150 random TRAINING pairs, to choose the
 * translation steps without looking at the held-out split; writes nothing.
 */
const CHOOSE_STEPS = opt('choose-steps', '');
/** Adversarial training radius of the domain classifier (0: noise augmentation only). */
const ADVERSARIAL = Number(opt('adversarial', '0'));
/** --run-emoji DIR / --run-openmoji DIR: a run folder of that pair's preset to evaluate (resumed if unfinished). */
const RUN_DIRS: Record<string, string | undefined> = { emoji: opt('run-emoji', '') || undefined, openmoji: opt('run-openmoji', '') || undefined };
if (EXPERIMENT && !/^[a-z0-9-]+$/.test(EXPERIMENT)) throw new Error(`--experiment ${EXPERIMENT}: use lower-case letters, digits and '-'`);

interface PairSpec {
  key: 'emoji' | 'openmoji';
  title: string;
  preset: string;
  source: string;
  target: string;
  rmseGoal: number;
  grid: string;
}

const PAIRS: PairSpec[] = [
  { key: 'emoji', title: 'Google → Twitter emoji', preset: 'emoji-translate-cpu', source: 'emoji-google', target: 'emoji-twitter', rmseGoal: 0.15, grid: 'emoji-translation.png' },
  { key: 'openmoji', title: 'OpenMoji line-art → colour', preset: 'openmoji-translate-cpu', source: 'openmoji-black', target: 'openmoji-color', rmseGoal: 0.3, grid: 'openmoji-translation.png' },
];
const STYLE_GOAL = 0.8;
const CLOSER_GOAL = 0.7;
const OWN_PAIR_GOAL = 0.8;
/** Emoji shown in a grid: groups of 8 columns, each an input row, an output row and a pair row. */
const GRID_N = 24;

function codedImages(name: string): CodedImageDataset {
  const ds = resolveDataset(name);
  if (!isImageDataset(ds) || !isCodedImageDataset(ds)) throw new Error(`${name} did not load as an image dataset with codes`);
  if (!ds.test || ds.test.count === 0) throw new Error(`${name} has no held-out split`);
  return ds;
}

/** The domain classifier of a pair, trained once and kept in bench/runs/ (train splits only). */
async function domainClassifier(source: CodedImageDataset, target: CodedImageDataset): Promise<{ clf: ImageClassifier; accuracy: number; note: string }> {
  const dir = path.join(HERE, 'runs', `domain-${source.name}-${target.name}${ADVERSARIAL ? `-adv${ADVERSARIAL}` : ''}-seed${SEED}`);
  const metaFile = path.join(dir, 'domain.json');
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { testAccuracy: number; steps: number; seconds: number };
    return { clf: await loadClassifier(dir, { image: source.image, classes: 2 }), accuracy: meta.testAccuracy, note: `${meta.steps} steps, ${meta.seconds.toFixed(0)} s` };
  }
  console.log(`training the domain classifier ${source.name} vs ${target.name} …`);
  const d = await trainDomainClassifier(source, target, {
    seed: SEED,
    adversarial: ADVERSARIAL,
    onProgress: (q) => console.log(`  step ${q.step}/${q.steps} loss ${q.loss.toFixed(3)} accuracy ${pct(q.accuracy)} ${q.seconds.toFixed(0)} s`),
  });
  fs.mkdirSync(dir, { recursive: true });
  await saveClassifier(d.classifier, dir);
  fs.writeFileSync(metaFile, JSON.stringify({ testAccuracy: d.testAccuracy, testCount: d.testCount, steps: d.steps, seconds: d.seconds }, null, 2) + '\n');
  return { clf: d.classifier, accuracy: d.testAccuracy, note: `${d.steps} steps, ${d.seconds.toFixed(0)} s` };
}

/** --choose-steps: style, RMSE gain, closer and own-pair shares at each step count, on 150 training pairs. */
async function chooseSteps(p: PairSpec, source: CodedImageDataset, target: CodedImageDataset, out: string, clf: ImageClassifier): Promise<void> {
  const all = pairByCode(source.codes.train, target.codes.train);
  const m = Math.min(150, all.source.length);
  // a random 150 (the first ones by code are mostly faces)
  const pick = Array.from(new Rng(5 + SEED).permutation(all.source.length).subarray(0, m));
  const inputs = imagesToFloat(source.train, pick.map((i) => all.source[i]));
  const truth = imagesToFloat(target.train, pick.map((i) => all.target[i]));
  const { model } = loadRun(out);
  try {
    for (const steps of CHOOSE_STEPS.split(',').map(Number)) {
      if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--choose-steps: ${steps} is not a positive integer`);
      const outputs = clampImages((await model.flowFrom(inputs, m, { seed: 2024 + SEED, steps })).samples);
      const fig = pairedTranslationFigures(inputs, outputs, truth, m, source.dim);
      const style = await targetShare(clf, outputs, m);
      console.log(`${p.key}, ${m} training pairs, ${steps} steps: style ${pct(style)}, RMSE gain ${pct(fig.rmseGain)}, closer ${pct(fig.closerShare)}, own pair ${pct(fig.ownPairShare)}`);
    }
  } finally {
    model.dispose();
  }
}

async function evalPair(p: PairSpec): Promise<void> {
  const info = await engineInfo();
  const source = codedImages(p.source);
  const target = codedImages(p.target);
  const dom = await domainClassifier(source, target);
  console.log(`domain classifier ${p.source} vs ${p.target}: held-out accuracy ${pct(dom.accuracy)} (${dom.note})`);
  if (flag('classifier-only')) {
    dom.clf.dispose();
    return;
  }

  const out = RUN_DIRS[p.key] ?? path.join(HERE, 'runs', EXPERIMENT ? `translate-${p.key}-${EXPERIMENT}` : `${p.preset}-seed${SEED}`);
  const trained = await trainPreset({
    preset: p.preset,
    dataset: target,
    out,
    seed: SEED,
    ...(CONFIG ? { configFile: CONFIG } : {}),
    ...(ITERATIONS ? { iterations: Number(ITERATIONS) } : {}),
  });
  const { config } = trained;
  if (CHOOSE_STEPS) {
    await chooseSteps(p, source, target, out, dom.clf);
    dom.clf.dispose();
    return;
  }

  // held-out emoji present in both styles, paired by code
  const pairs = pairByCode(source.codes.test, target.codes.test);
  const n = pairs.source.length;
  const per = source.dim;
  const inputs = imagesToFloat(source.test!, pairs.source);
  const truth = imagesToFloat(target.test!, pairs.target);
  const { model } = loadRun(out);
  const steps = STEPS ? Number(STEPS) : model.config.flowSteps + model.config.sampleExtraSteps;
  const t1 = performance.now();
  const res = await model.flowFrom(inputs, n, { seed: 2024 + SEED, steps });
  const seconds = (performance.now() - t1) / 1000;
  model.dispose();
  const diverged = !res.samples.every(Number.isFinite);
  const outputs = clampImages(res.samples);

  const fig = pairedTranslationFigures(inputs, outputs, truth, n, per);
  const styleIn = await targetShare(dom.clf, inputs, n);
  const styleOut = await targetShare(dom.clf, outputs, n);
  const styleTruth = await targetShare(dom.clf, truth, n);
  // control: the inputs plus Gaussian noise of the same mean |Δ| as the translation (a change
  // that carries no style): what noise alone does to the verdict and the RMSE
  const delta = meanAbsChange(inputs, outputs);
  const xi = new Rng(77 + SEED).normalArray(inputs.length);
  const sd = delta / Math.sqrt(2 / Math.PI);
  const control = clampImages(Float32Array.from(inputs, (v, i) => v + sd * xi[i]));
  const styleControl = await targetShare(dom.clf, control, n);
  const figControl = pairedTranslationFigures(inputs, control, truth, n, per);
  // the same verdicts after a Gaussian blur (σ 1 px): does the style survive without fine texture?
  const blurred = async (x: Float32Array) => targetShare(dom.clf, gaussianBlur(x, n, source.image, 1), n);
  const blurIn = await blurred(inputs);
  const blurOut = await blurred(outputs);
  const blurTruth = await blurred(truth);
  dom.clf.dispose();
  // a scale for the RMSE gain: what retrieval WITH the pairing reaches (the flow never sees it)
  const trainPairs = pairByCode(source.codes.train, target.codes.train);
  const base = pairedBaselines(
    inputs,
    n,
    imagesToFloat(source.train, trainPairs.source),
    imagesToFloat(target.train, trainPairs.target),
    trainPairs.source.length,
    per,
    { k: 5, duplicateRmse: 1 / 127.5 },
  );
  // and what an unpaired translator that only lands on (or between) real target images near its
  // input reaches: retrieval among all the training target images, no pairing
  const targetTrain = imagesToFloat(target.train);
  const unpaired = unpairedBaselines(inputs, n, targetTrain, target.train.count, per, { k: 5 });
  const figTargetNearest = pairedTranslationFigures(inputs, unpaired.nearest, truth, n, per);
  const figTargetMean = pairedTranslationFigures(inputs, unpaired.meanOfNearest, truth, n, per);
  const figNearest = pairedTranslationFigures(inputs, base.nearest, truth, n, per);
  const figMean = pairedTranslationFigures(inputs, base.meanOfNearest, truth, n, per);
  const moved = delta * 127.5;
  const u = (v: number) => (v * 127.5).toFixed(1);
  console.log(
    `${p.key}: target style ${pct(styleIn)} → ${pct(styleOut)}; RMSE to pair ${u(fig.inputRmse)} → ${u(fig.outputRmse)} /255 (gain ${pct(fig.rmseGain)}); ` +
      `blurred ${pct(blurIn)} → ${pct(blurOut)} (pairs ${pct(blurTruth)}); closer ${pct(fig.closerShare)}; own pair ${pct(fig.inputOwnPairShare)} → ${pct(fig.ownPairShare)} (rank 1: ${pct(fig.inputNearestPairShare)} → ${pct(fig.nearestPairShare)}); mean |Δ| ${moved.toFixed(1)}/255${diverged ? ' (NaN outputs set to 0)' : ''}`,
  );

  // grid: groups of 8 emoji spread over the held-out set, rows input / output / true pair
  const show = Math.min(GRID_N, n);
  const groups = Math.ceil(show / 8);
  const cells = new Float32Array(groups * 3 * 8 * per).fill(1);
  for (let j = 0; j < show; j++) {
    const k = Math.floor(((j + 0.5) * n) / show);
    const g = Math.floor(j / 8);
    const c = j % 8;
    cells.set(inputs.subarray(k * per, (k + 1) * per), (3 * g * 8 + c) * per);
    cells.set(outputs.subarray(k * per, (k + 1) * per), ((3 * g + 1) * 8 + c) * per);
    cells.set(truth.subarray(k * per, (k + 1) * per), ((3 * g + 2) * 8 + c) * per);
  }
  const rowLabels = Array.from({ length: 3 * groups }, (_, r) => ['in', 'out', 'pair'][r % 3]);
  const gridName = EXPERIMENT ? `translate-${p.key}-${EXPERIMENT}.png` : p.grid;
  const gridDir = EXPERIMENT ? path.join(HERE, 'runs') : path.join(HERE, '..', 'docs');
  fs.mkdirSync(gridDir, { recursive: true });
  fs.writeFileSync(path.join(gridDir, gridName), imageGridPng(cells, 3 * groups * 8, source.image, { cols: 8, rowLabels }));

  const verdict = (ok: boolean) => (ok ? 'pass' : '**FAIL**');
  const date = new Date().toISOString().slice(0, 10);
  const heading = EXPERIMENT ? `## Translation experiment: ${EXPERIMENT} (${p.key})` : `## Translation: ${p.title}`;
  const net = JSON.stringify(config.net);
  const section = [
    `${heading} — ${date}`,
    '',
    `Written by \`npm run eval:translate${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (bench/eval-translate.ts), seed ${SEED}, on ${info.cpus} × ${info.cpuModel} (load average ${os.loadavg()[0].toFixed(1)} at the end), engine ${engineLabel(info)}.`,
    `Training \`${p.preset}\`${CONFIG ? ` + ${path.basename(CONFIG)}` : ''}: ${trained.iterations} iterations in ${trained.totalMinutes.toFixed(1)} min ` +
      `(prior: ${p.source} train split; data: ${p.target} train split; ${config.loss.toUpperCase()}-${config.divergence}, ${net}, K ${config.flowSteps}, η ${config.eta}, ν ${config.noise}, ` +
      `instance noise ${config.instanceNoise ?? 0}, batch ${config.batch}, lr ${config.lr}${config.lrMilestones.length ? ` ×${config.lrGamma} at ${config.lrMilestones.join(', ')}` : ''}).`,
    `Translated: the ${n} held-out ${p.source} emoji that have a held-out ${p.target} pair of the same code (test splits: never trained on in either domain), ` +
      `${steps} flow steps, EMA weights, ${seconds.toFixed(0)} s; mean |Δpixel| ${moved.toFixed(1)}/255. ` +
      `Domain classifier: trained on both train splits (noise augmentation${ADVERSARIAL ? `, adversarial L2 radius ${ADVERSARIAL}` : ''}), held-out accuracy ${pct(dom.accuracy)}.`,
    '',
    '| check | inputs | outputs | goal | verdict |',
    '|---|---|---|---|---|',
    `| judged ${p.target} style by the domain classifier (true pairs: ${pct(styleTruth)}) | ${pct(styleIn)} | ${pct(styleOut)} | ≥ ${pct(STYLE_GOAL)} | ${verdict(styleOut >= STYLE_GOAL)} |`,
    `| mean RMSE to the ${p.target} image of the same emoji (/255) | ${u(fig.inputRmse)} | ${u(fig.outputRmse)} | ≥ ${pct(p.rmseGoal)} lower (got ${pct(fig.rmseGain)}) | ${verdict(fig.rmseGain >= p.rmseGoal)} |`,
    `| closer to its pair than its input was | — | ${pct(fig.closerShare)} | ≥ ${pct(CLOSER_GOAL)} | ${verdict(fig.closerShare >= CLOSER_GOAL)} |`,
    `| nearer to its own pair than to another held-out emoji's pair (all ${n}×${n - 1} comparisons) | ${pct(fig.inputOwnPairShare)} | ${pct(fig.ownPairShare)} | ≥ ${pct(OWN_PAIR_GOAL)} | ${verdict(fig.ownPairShare >= OWN_PAIR_GOAL)} |`,
    `| judged ${p.target} style after a Gaussian blur (σ 1 px; true pairs blurred: ${pct(blurTruth)}) | ${pct(blurIn)} | ${pct(blurOut)} | — | — |`,
    `| control: inputs + Gaussian noise of the same mean \\|Δ\\| (σ ${u(sd)}/255): target style, RMSE gain | — | ${pct(styleControl)}, ${pct(figControl.rmseGain)} | — | — |`,
    `| stricter: nearer to its own pair than to all ${n - 1} others at once | ${pct(fig.inputNearestPairShare)} | ${pct(fig.nearestPairShare)} | — | — |`,
    `| paired baseline (uses the pairing the flow never sees): the ${p.target} pair of the nearest of ${trainPairs.source.length} training ${p.source} images: RMSE, gain | — | ${u(figNearest.outputRmse)}, ${pct(figNearest.rmseGain)} | — | — |`,
    `| paired baseline: the mean ${p.target} pair of the ${base.k} nearest training ${p.source} images: RMSE, gain | — | ${u(figMean.outputRmse)}, ${pct(figMean.rmseGain)} | — | — |`,
    `| unpaired baseline (no pairing, as the flow): the nearest of the ${target.train.count} training ${p.target} images itself: RMSE, gain; closer; own pair | — | ${u(figTargetNearest.outputRmse)}, ${pct(figTargetNearest.rmseGain)}; ${pct(figTargetNearest.closerShare)}; ${pct(figTargetNearest.ownPairShare)} | — | — |`,
    `| unpaired baseline: the mean of the ${unpaired.k} nearest training ${p.target} images (a blur, not a translation): RMSE, gain; closer; own pair | — | ${u(figTargetMean.outputRmse)}, ${pct(figTargetMean.rmseGain)}; ${pct(figTargetMean.closerShare)}; ${pct(figTargetMean.ownPairShare)} | — | — |`,
    '',
    `${pct(base.duplicateShare)} of the held-out inputs have a duplicate among the training ${p.source} images (RMSE < 1/255: the same drawing under another code, such as a skin-tone variant), ` +
      `so their colours cannot be read from the input; the paired baselines say what an RMSE gain of a given size means on these data. ` +
      `The unpaired baselines are what a translator that never sees the pairing (as the flow) would reach by landing on the real ${p.target} image nearest its input, ` +
      `or on the mean of the ${unpaired.k} nearest: RMSE favours that blur over any sharp image that is not the pair.`,
    '',
    `Groups of three rows: held-out ${p.source} inputs, their translations, the ${p.target} image of the same emoji.`,
    '',
    EXPERIMENT ? `Grid: bench/runs/${gridName} (not committed).` : `![${p.title}: inputs, translations, true pairs](../docs/${gridName})`,
    '',
  ].join('\n');
  replaceSection(path.join(HERE, 'RESULTS.md'), heading, section);
  console.log(section);
}

async function main(): Promise<void> {
  const chosen = PAIR === 'both' ? PAIRS : PAIRS.filter((p) => p.key === PAIR);
  if (chosen.length === 0) throw new Error(`--pair ${PAIR}: expected emoji, openmoji or both`);
  await initEngine(opt('backend', 'wasm'));
  for (const p of chosen) await evalPair(p);
}

runScript(main);
