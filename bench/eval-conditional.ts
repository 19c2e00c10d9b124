/**
 * `npm run eval:conditional`: class-conditional MNIST by classifier guidance, judged by a
 * second classifier. Too slow for `npm test`.
 *
 * - The model: the `mnist-cpu` run of `npm run eval:mnist` (trained here first if missing).
 * - Guidance classifier A (defaults: the recipe that meets the goal): filters [16, 32, 64],
 *   flatten head, seed 1, adversarially trained against a 3-step PGD attack of L2 radius 4
 *   ramped up over the first 20% of the 1,500 steps; trained here once, in a folder named by
 *   its options (bench/runs/mnist-guidance-classifier-flatten-adv4-pgd3-warm0.2).
 * - Judge B: our MNIST feature net (filters [32, 64, 128], flatten head, plain training,
 *   seed 0), so a different seed, width and training from A.
 * For each digit, 100 samples flowed with ∇ₓ(f′(r_θ) − φ log p_A(y|x)), A's softmax at
 * temperature T (default 3), for each φ asked (default 15); goal: B assigns ≥ 90% of each
 * digit's samples to that digit. The unconditional samples of the same run are classified too
 * (their spread over digits). Figures go to bench/RESULTS.md (a "Conditional MNIST" section
 * named by the guide's options), the per-class grid of the best φ to docs/mnist-conditional*.png.
 *
 * Guide options: `--clf-head flatten|gap`; `--clf-adv ε` (0: plain training, `dggf classifier
 * train --adversarial`), `--clf-pgd k` attack steps (`--adversarial-steps`) and `--clf-warmup f`
 * (`--adversarial-warmup`), both only with ε > 0; `--clf-noise σ` noise augmentation
 * (`--noise`); `--temperature T` (`dggf sample --guidance-temperature`). The first guides we
 * measured: `--clf-head gap --clf-adv 0 --temperature 1 --phi 0.1,1,3`. `--no-write`: a trial
 * that only prints.
 *
 *   npm run eval:conditional [-- --phi 3,15 --n 100 --run bench/runs/mnist-cpu-seed0 --clf-noise 0.5 --clf-adv 2 --clf-pgd 3 --clf-warmup 0.2 --clf-head flatten --temperature 3 --steps 60 --no-write]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { resolveDataset, isImageDataset } from '../src/data/index.js';
import { trainRun, loadRun } from '../src/train/run.js';
import { loadFeatureNet, trainFeatureNet, classifySamples } from '../src/eval/features.js';
import {
  createClassifier,
  trainClassifier,
  saveClassifier,
  loadClassifier,
  classifierAccuracy,
  classifierSplits,
  type ImageClassifier,
} from '../src/nets/classifier.js';
import { classifierGuidanceTerm } from '../src/flow/guidance.js';
import { clampImages } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { Rng } from '../src/util/rng.js';
import { flag, opt, runScript } from './args.js';
import { replaceSection } from './results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUN = opt('run', path.join(HERE, 'runs', 'mnist-cpu-seed0'));
const CLF_NOISE = Number(opt('clf-noise', '0'));
const CLF_ADV = Number(opt('clf-adv', '4'));
const CLF_PGD = CLF_ADV > 0 ? Number(opt('clf-pgd', '3')) : 1;
const CLF_HEAD = opt('clf-head', 'flatten');
const CLF_WARMUP = CLF_ADV > 0 ? Number(opt('clf-warmup', '0.2')) : 0;
if (!(CLF_WARMUP >= 0 && CLF_WARMUP <= 1)) throw new Error(`--clf-warmup ${CLF_WARMUP}: expected a fraction in [0, 1]`);
if (CLF_HEAD !== 'gap' && CLF_HEAD !== 'flatten') throw new Error(`--clf-head ${CLF_HEAD}: expected gap or flatten`);
if (!(Number.isInteger(CLF_PGD) && CLF_PGD >= 1)) throw new Error(`--clf-pgd ${CLF_PGD}: expected an integer ≥ 1`);
const CLF_SUFFIX = [
  CLF_HEAD === 'flatten' ? '-flatten' : '',
  CLF_NOISE > 0 ? `-noise${CLF_NOISE}` : '',
  CLF_ADV > 0 ? `-adv${CLF_ADV}` : '',
  CLF_PGD > 1 ? `-pgd${CLF_PGD}` : '',
  CLF_WARMUP > 0 ? `-warm${CLF_WARMUP}` : '',
].join('');
const CLF_DIR = opt('classifier', path.join(HERE, 'runs', `mnist-guidance-classifier${CLF_SUFFIX}`));
const N = Number(opt('n', '100'));
const PHIS = opt('phi', '15').split(',').map(Number);
const DIGITS = opt('digits', '0,1,2,3,4,5,6,7,8,9').split(',').map(Number);
const GSTEPS = Number(opt('steps', '0'));
/** Softmax temperature of guide A (`dggf sample --guidance-temperature`). */
const TEMPERATURE = Number(opt('temperature', '3'));
if (!(TEMPERATURE > 0 && Number.isFinite(TEMPERATURE))) throw new Error(`--temperature ${TEMPERATURE}: expected a number > 0`);
const GOAL = 0.9;
/** A trial: print the section, write neither bench/RESULTS.md nor the grid. */
const NO_WRITE = flag('no-write');

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

async function guidanceClassifier(ds: Parameters<typeof trainClassifier>[1]): Promise<{ clf: ImageClassifier; accuracy: number }> {
  const spec = { image: ds.image, classes: 10, filters: [16, 32, 64], head: CLF_HEAD as 'gap' | 'flatten' };
  if (fs.existsSync(path.join(CLF_DIR, 'model.json'))) {
    const clf = await loadClassifier(CLF_DIR, { image: ds.image, classes: 10 });
    const { test } = classifierSplits(ds);
    return { clf, accuracy: await classifierAccuracy(clf, test.split, test.labels, test.indices) };
  }
  console.log(`training guidance classifier A (${JSON.stringify(spec.filters)}, ${spec.head} head, seed 1, noise augmentation ${CLF_NOISE}, adversarial radius ${CLF_ADV}, ${CLF_PGD} attack step(s), warm-up ${CLF_WARMUP}) …`);
  const rng = new Rng(1);
  const clf = createClassifier(spec, rng.fork(0), ds.classNames);
  const r = await trainClassifier(clf, ds, {
    steps: 1500,
    batch: 128,
    noise: CLF_NOISE,
    adversarial: CLF_ADV,
    adversarialSteps: CLF_PGD,
    adversarialWarmup: CLF_WARMUP,
    rng: rng.fork(1),
    onProgress: (p) => console.log(`  step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} acc ${pct(p.accuracy)}`),
    progressEvery: 250,
  });
  await saveClassifier(clf, CLF_DIR);
  return { clf, accuracy: r.testAccuracy };
}

async function main(): Promise<void> {
  await initEngine(opt('backend', 'wasm'));
  const info = await engineInfo();
  const ds = resolveDataset('mnist');
  if (!isImageDataset(ds)) throw new Error('mnist did not load as images');

  if (!fs.existsSync(path.join(RUN, 'config.json'))) {
    console.log(`no run at ${RUN}: training the mnist-cpu preset first (as npm run eval:mnist does) …`);
    const { config, explicitKeys } = resolveConfig({ preset: 'mnist-cpu', overrides: { data: 'mnist', seed: 0 }, defaults: {} });
    await trainRun({ dir: RUN, config, explicitKeys, dataset: ds });
  }
  let judge;
  try {
    judge = await loadFeatureNet('mnist', { image: ds.image });
  } catch {
    judge = await trainFeatureNet(ds, { seed: 0 });
  }
  const A = await guidanceClassifier(ds);
  console.log(`guidance classifier A: test accuracy ${pct(A.accuracy)}; judge B: our feature net (${pct(judge.meta.testAccuracy)})`);

  const { model } = loadRun(RUN);
  const steps = model.config.flowSteps + model.config.sampleExtraSteps;
  const t0 = performance.now();
  const uncond = await model.sampleInBatches(DIGITS.length === 10 ? 1000 : 10, { seed: 4242 });
  const hu = await classifySamples(judge, clampImages(uncond.samples));
  console.log(`unconditional: ${hu.fractions.map(pct).join(' ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

  const rows: { phi: number; acc: number[]; ownAcc: number[]; seconds: number; grid: Float32Array }[] = [];
  for (const phi of PHIS) {
    const acc: number[] = [];
    const ownAcc: number[] = [];
    const per = ds.dim;
    const grid = new Float32Array(10 * 10 * per);
    const t1 = performance.now();
    for (const y of DIGITS) {
      const term = classifierGuidanceTerm(A.clf, y, phi, model.derived.normalizer, { temperature: TEMPERATURE });
      const r = await model.sampleInBatches(N, { seed: 1000 * y + 7, extraTerms: [term], ...(GSTEPS ? { steps: GSTEPS } : {}) });
      clampImages(r.samples);
      acc.push((await classifySamples(judge, r.samples, N)).counts[y] / N);
      ownAcc.push((await classifySamples(A.clf, r.samples, N)).counts[y] / N);
      grid.set(r.samples.subarray(0, Math.min(10, N) * per), y * 10 * per);
    }
    const seconds = (performance.now() - t1) / 1000;
    console.log(`φ ${phi}: judge B per digit ${acc.map(pct).join(' ')}; A itself ${ownAcc.map(pct).join(' ')} (${seconds.toFixed(0)} s)`);
    rows.push({ phi, acc, ownAcc, seconds, grid });
  }
  model.dispose();

  const variant = [
    CLF_HEAD === 'flatten' ? 'flatten-head guide' : '',
    CLF_NOISE > 0 ? `guide trained with noise ${CLF_NOISE}` : '',
    CLF_ADV > 0 ? `adversarially trained guide (L2 radius ${CLF_ADV}${CLF_PGD > 1 ? `, PGD ${CLF_PGD} steps` : ''}${CLF_WARMUP > 0 ? `, radius ramped over ${100 * CLF_WARMUP}%` : ''})` : '',
    TEMPERATURE !== 1 ? `temperature ${TEMPERATURE}` : '',
  ].filter(Boolean);
  const title = variant.length ? `## Conditional MNIST, ${variant.join(', ')}` : '## Conditional MNIST (classifier guidance)';
  const gridFile = `mnist-conditional${CLF_SUFFIX}${TEMPERATURE !== 1 ? `-t${TEMPERATURE}` : ''}.png`;
  const best = rows.reduce((a, b) => (Math.min(...b.acc) > Math.min(...a.acc) ? b : a));
  if (!NO_WRITE) {
    fs.mkdirSync(path.join(HERE, '..', 'docs'), { recursive: true });
    fs.writeFileSync(path.join(HERE, '..', 'docs', gridFile), imageGridPng(best.grid, 100, ds.image, { cols: 10 }));
  }
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    `${title} — ${date}`,
    '',
    `Written by \`npm run eval:conditional\` (bench/eval-conditional.ts) on ${info.cpus} × ${info.cpuModel}, engine ${info.backend} (${info.threads} thread(s)).`,
    `Model: the \`mnist-cpu\` run of the MNIST quality section (${path.relative(path.join(HERE, '..'), RUN)}), EMA weights, ${steps} flow steps.`,
    `Guidance classifier A: filters [16, 32, 64], ${CLF_HEAD === 'gap' ? 'global-average-pooling' : 'flatten'} head, seed 1${CLF_NOISE > 0 ? `, trained with noise augmentation σ ≤ ${CLF_NOISE}` : ''}${CLF_ADV > 0 ? `, adversarially trained (${CLF_PGD > 1 ? `PGD: ${CLF_PGD} projected steps of 2.5·ε/${CLF_PGD} within` : 'one normalised-gradient L2 step of'} radius ${CLF_ADV} per batch, \`--adversarial\`${CLF_PGD > 1 ? ' `--adversarial-steps`' : ''}${CLF_WARMUP > 0 ? `; the radius ramped up from 0 over the first ${100 * CLF_WARMUP}% of the steps, \`--adversarial-warmup\`` : ''})` : ''} (test accuracy ${pct(A.accuracy)}). Judge B: our MNIST feature net, filters [32, 64, 128], flatten head, seed 0 (test accuracy ${pct(judge.meta.testAccuracy)}).`,
    `${N} samples per digit, drift ∇ₓ(f′(r_θ) − φ log p_A(y|x))${TEMPERATURE !== 1 ? `, p_A at softmax temperature ${TEMPERATURE} (log softmax(logits/${TEMPERATURE}))` : ''}; goal: B assigns ≥ ${pct(GOAL)} of each digit's samples to that digit.`,
    '',
    '| φ | B: worst digit | B: mean | A (guide) mean | goal met | time |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const mean = r.acc.reduce((a, b) => a + b, 0) / r.acc.length;
      const own = r.ownAcc.reduce((a, b) => a + b, 0) / r.ownAcc.length;
      return `| ${r.phi} | ${pct(Math.min(...r.acc))} (digit ${DIGITS[r.acc.indexOf(Math.min(...r.acc))]}) | ${pct(mean)} | ${pct(own)} | ${Math.min(...r.acc) >= GOAL ? 'yes' : '**no**'} | ${r.seconds.toFixed(0)} s |`;
    }),
    '',
    ...rows.map((r) => `φ ${r.phi}, B per digit ${DIGITS.join(', ')}: ${r.acc.map(pct).join(' · ')}.`),
    '',
    `Unconditional samples of the same run (${hu.n}, judged by B), per digit 0–9: ${hu.fractions.map(pct).join(' · ')}; mean max-probability ${hu.meanMaxProb.toFixed(3)}.`,
    '',
    `![one row per digit, φ ${best.phi}](../docs/${gridFile})`,
    '',
  ].join('\n');
  if (!NO_WRITE) replaceSection(path.join(HERE, 'RESULTS.md'), `${title} —`, section);
  console.log(section);
}

runScript(main);
