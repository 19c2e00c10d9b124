/**
 * `npm run eval:conditional`: class-conditional MNIST by classifier guidance, judged by a
 * second classifier. Too slow for `npm test`.
 *
 * - The model (`--run`): the `mnist-cpu` run of `npm run eval:mnist` (trained here first if
 *   missing). The recorded figures are on the earlier preset's run (2,500 iterations, no dense
 *   hidden layer, FID 3.68): `--run bench/runs/mnist-cpu-2500-seed0`.
 * - Guidance classifiers A (defaults: the recipe that meets the goal): two guides, each filters
 *   [16, 32, 64], flatten head, seed 1, adversarially trained against a 3-step PGD attack of L2
 *   radius 4 and 5 respectively, ramped up over the first 20% of the 1,500 steps, guiding
 *   together (their terms added, φ 7.5 each); each is trained here once, in a folder named by
 *   its options (bench/runs/mnist-guidance-classifier-flatten-adv4-pgd3-warm0.2, …-adv5-…).
 * - Judge B: our MNIST feature net (filters [32, 64, 128], flatten head, plain training,
 *   seed 0), so a different seed, width and training from A.
 * For each digit, `--sets` (default 4) sets of 100 samples, each from its own sample seed, flowed
 * with ∇ₓ(f′(r_θ) − φ Σ_A log p_A(y|x)), A's softmax at temperature T (default 3), for each φ
 * asked (default 7.5); goal: B assigns ≥ 90% of each digit's samples to that digit, in every set (one
 * lucky set does not meet it). The unconditional samples of the same run are classified too
 * (their spread over digits). Figures go to bench/RESULTS.md (a "Conditional MNIST" section
 * named by the guide's options), the per-class grid of the best φ to docs/mnist-conditional*.png.
 *
 * Guide options: `--clf-head flatten|gap`; `--clf-adv ε` (0: plain training, `dggf classifier
 * train --adversarial`; a list `4,5`: one guide per radius, guiding together as `dggf sample
 * --classifier A --classifier B`, each term with weight φ), `--clf-pgd k` attack steps (`--adversarial-steps`) and `--clf-warmup f`
 * (`--adversarial-warmup`), both only with ε > 0; `--clf-steps n` training steps (default 1,500); `--clf-noise σ` noise augmentation
 * (`--noise`); `--temperature T` (`dggf sample --guidance-temperature`). The first guides we
 * measured: `--clf-head gap --clf-adv 0 --temperature 1 --phi 0.1,1,3`. `--no-write`: a trial
 * that only prints.
 *
 *   npm run eval:conditional [-- --phi 3,15 --n 100 --sets 4 --run bench/runs/mnist-cpu-2500-seed0 --clf-noise 0.5 --clf-adv 2 --clf-pgd 3 --clf-warmup 0.2 --clf-steps 3000 --clf-head flatten --temperature 3 --steps 60 --no-write]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { resolveDataset, isImageDataset } from '../src/data/index.js';
import { trainRun, loadRun } from '../src/train/run.js';
import { loadFeatureNet, trainFeatureNet, classifySamples } from '../src/eval/features.js';
import { createClassifier, type ImageClassifier } from '../src/nets/classifier.js';
import { trainClassifier, classifierAccuracy, classifierSplits } from '../src/train/classifier.js';
import { saveClassifier, loadClassifier } from '../src/train/classifier-file.js';
import { classifierGuidanceTerm } from '../src/flow/guidance.js';
import { clampImages } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { Rng } from '../src/util/rng.js';
import { flag, opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';
import { replaceSection } from './results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUN = opt('run', path.join(HERE, 'runs', 'mnist-cpu-seed0'));
const CLF_NOISE = Number(opt('clf-noise', '0'));
/** Adversarial radius of each guide: several (`--clf-adv 4,5`) guide together, their terms added. */
const CLF_ADVS = opt('clf-adv', '4,5').split(',').map(Number);
if (!CLF_ADVS.every((r) => r >= 0 && Number.isFinite(r))) throw new Error(`--clf-adv ${CLF_ADVS.join(',')}: expected radii ≥ 0`);
const ADVERSARIAL = CLF_ADVS.some((r) => r > 0);
const CLF_PGD = ADVERSARIAL ? Number(opt('clf-pgd', '3')) : 1;
const CLF_HEAD = opt('clf-head', 'flatten');
const CLF_WARMUP = ADVERSARIAL ? Number(opt('clf-warmup', '0.2')) : 0;
/** Guide training steps (`dggf classifier train --steps`). */
const CLF_STEPS = Number(opt('clf-steps', '1500'));
if (!(Number.isInteger(CLF_STEPS) && CLF_STEPS >= 1)) throw new Error(`--clf-steps ${CLF_STEPS}: expected an integer ≥ 1`);
if (!(CLF_WARMUP >= 0 && CLF_WARMUP <= 1)) throw new Error(`--clf-warmup ${CLF_WARMUP}: expected a fraction in [0, 1]`);
if (CLF_HEAD !== 'gap' && CLF_HEAD !== 'flatten') throw new Error(`--clf-head ${CLF_HEAD}: expected gap or flatten`);
if (!(Number.isInteger(CLF_PGD) && CLF_PGD >= 1)) throw new Error(`--clf-pgd ${CLF_PGD}: expected an integer ≥ 1`);
/** The folder-name suffix of the guide with adversarial radius `adv` (the other options shared). */
const clfSuffix = (adv: number): string =>
  [
    CLF_HEAD === 'flatten' ? '-flatten' : '',
    CLF_NOISE > 0 ? `-noise${CLF_NOISE}` : '',
    adv > 0 ? `-adv${adv}` : '',
    adv > 0 && CLF_PGD > 1 ? `-pgd${CLF_PGD}` : '',
    adv > 0 && CLF_WARMUP > 0 ? `-warm${CLF_WARMUP}` : '',
    CLF_STEPS !== 1500 ? `-steps${CLF_STEPS}` : '',
  ].join('');
const CLF_SUFFIX = clfSuffix(CLF_ADVS[0]) + CLF_ADVS.slice(1).map((r) => `+adv${r}`).join('');
if (opt('classifier', '') && CLF_ADVS.length > 1) throw new Error('--classifier names one guide; use it without a list in --clf-adv');
const clfDir = (adv: number): string => opt('classifier', path.join(HERE, 'runs', `mnist-guidance-classifier${clfSuffix(adv)}`));
const N = Number(opt('n', '100'));
/**
 * Sample sets per digit: set s flows N samples from seed 1000·y + 7 + 100·s. The goal is met
 * only when every set of every digit reaches it, so a digit near the threshold shows up.
 */
const SETS = Number(opt('sets', '4'));
// at most 10 sets: set 10 of digit y would reuse the seed of set 0 of digit y + 1
if (!(Number.isInteger(SETS) && SETS >= 1 && SETS <= 10)) throw new Error(`--sets ${SETS}: expected an integer from 1 to 10`);
const PHIS = opt('phi', '7.5').split(',').map(Number);
const DIGITS = opt('digits', '0,1,2,3,4,5,6,7,8,9').split(',').map(Number);
const GSTEPS = Number(opt('steps', '0'));
/** Softmax temperature of guide A (`dggf sample --guidance-temperature`). */
const TEMPERATURE = Number(opt('temperature', '3'));
if (!(TEMPERATURE > 0 && Number.isFinite(TEMPERATURE))) throw new Error(`--temperature ${TEMPERATURE}: expected a number > 0`);
const GOAL = 0.9;
/** A trial: print the section, write neither bench/RESULTS.md nor the grid. */
const NO_WRITE = flag('no-write');

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

async function guidanceClassifier(ds: Parameters<typeof trainClassifier>[1], adv: number): Promise<{ clf: ImageClassifier; accuracy: number }> {
  const spec = { image: ds.image, classes: 10, filters: [16, 32, 64], head: CLF_HEAD as 'gap' | 'flatten' };
  const dir = clfDir(adv);
  if (fs.existsSync(path.join(dir, 'model.json'))) {
    const clf = await loadClassifier(dir, { image: ds.image, classes: 10 });
    const { test } = classifierSplits(ds);
    return { clf, accuracy: await classifierAccuracy(clf, test.split, test.labels, test.indices) };
  }
  console.log(`training guidance classifier A (${JSON.stringify(spec.filters)}, ${spec.head} head, seed 1, noise augmentation ${CLF_NOISE}, adversarial radius ${adv}, ${CLF_PGD} attack step(s), warm-up ${CLF_WARMUP}) …`);
  const rng = new Rng(1);
  const clf = createClassifier(spec, rng.fork(0), ds.classNames);
  const r = await trainClassifier(clf, ds, {
    steps: CLF_STEPS,
    batch: 128,
    noise: CLF_NOISE,
    adversarial: adv,
    adversarialSteps: adv > 0 ? CLF_PGD : 1,
    adversarialWarmup: adv > 0 ? CLF_WARMUP : 0,
    rng: rng.fork(1),
    onProgress: (p) => console.log(`  step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} acc ${pct(p.accuracy)}`),
    progressEvery: 250,
  });
  await saveClassifier(clf, dir);
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
  const guides: { clf: ImageClassifier; accuracy: number }[] = [];
  for (const adv of CLF_ADVS) guides.push(await guidanceClassifier(ds, adv));
  const accuracies = guides.map((g) => pct(g.accuracy)).join(' / ');
  console.log(`guidance classifier(s) A: test accuracy ${accuracies}; judge B: our feature net (${pct(judge.meta.testAccuracy)})`);

  const { model } = loadRun(RUN);
  const steps = model.config.flowSteps + model.config.sampleExtraSteps;
  const runConfig = { iterations: model.config.iterations, net: model.config.net };
  const t0 = performance.now();
  const uncond = await model.sampleInBatches(DIGITS.length === 10 ? 1000 : 10, { seed: 4242 });
  const hu = await classifySamples(judge, clampImages(uncond.samples));
  console.log(`unconditional: ${hu.fractions.map(pct).join(' ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

  const rows: { phi: number; acc: number[]; sets: number[][]; ownAcc: number[]; seconds: number; grid: Float32Array }[] = [];
  for (const phi of PHIS) {
    const acc: number[] = [];
    const sets: number[][] = [];
    const ownAcc: number[] = [];
    const per = ds.dim;
    const grid = new Float32Array(10 * 10 * per);
    const t1 = performance.now();
    for (const y of DIGITS) {
      const terms = guides.map((g) => classifierGuidanceTerm(g.clf, y, phi, model.derived.normalizer, { temperature: TEMPERATURE }));
      const bySet: number[] = [];
      let own = 0;
      for (let set = 0; set < SETS; set++) {
        const r = await model.sampleInBatches(N, { seed: 1000 * y + 7 + 100 * set, extraTerms: terms, ...(GSTEPS ? { steps: GSTEPS } : {}) });
        clampImages(r.samples);
        bySet.push((await classifySamples(judge, r.samples, N)).counts[y] / N);
        // the guides' own view: the lowest agreement among them
        let least = 1;
        for (const g of guides) least = Math.min(least, (await classifySamples(g.clf, r.samples, N)).counts[y] / N);
        own += least;
        if (set === 0) grid.set(r.samples.subarray(0, Math.min(10, N) * per), y * 10 * per);
      }
      sets.push(bySet);
      acc.push(bySet.reduce((a, b) => a + b, 0) / SETS);
      ownAcc.push(own / SETS);
      console.log(`  φ ${phi} digit ${y}: B ${bySet.map(pct).join(' · ')}`);
    }
    const seconds = (performance.now() - t1) / 1000;
    console.log(`φ ${phi}: judge B per digit ${acc.map(pct).join(' ')}; A itself ${ownAcc.map(pct).join(' ')} (${seconds.toFixed(0)} s)`);
    rows.push({ phi, acc, sets, ownAcc, seconds, grid });
  }
  model.dispose();

  const variant = [
    CLF_HEAD === 'flatten' ? 'flatten-head guide' : '',
    CLF_NOISE > 0 ? `guide trained with noise ${CLF_NOISE}` : '',
    ADVERSARIAL ? `adversarially trained guide${CLF_ADVS.length > 1 ? 's' : ''} (L2 radius ${CLF_ADVS.join(' and ')}${CLF_PGD > 1 ? `, PGD ${CLF_PGD} steps` : ''}${CLF_WARMUP > 0 ? `, radius ramped over ${100 * CLF_WARMUP}%` : ''})` : '',
    TEMPERATURE !== 1 ? `temperature ${TEMPERATURE}` : '',
  ].filter(Boolean);
  const title = variant.length ? `## Conditional MNIST, ${variant.join(', ')}` : '## Conditional MNIST (classifier guidance)';
  const gridFile = `mnist-conditional${CLF_SUFFIX}${TEMPERATURE !== 1 ? `-t${TEMPERATURE}` : ''}.png`;
  const worstSet = (r: (typeof rows)[number]): { value: number; digit: number } => {
    let value = Infinity;
    let digit = DIGITS[0];
    r.sets.forEach((bySet, i) => {
      const m = Math.min(...bySet);
      if (m < value) [value, digit] = [m, DIGITS[i]];
    });
    return { value, digit };
  };
  const best = rows.reduce((a, b) => (worstSet(b).value > worstSet(a).value ? b : a));
  if (!NO_WRITE) {
    fs.mkdirSync(path.join(HERE, '..', 'docs'), { recursive: true });
    fs.writeFileSync(path.join(HERE, '..', 'docs', gridFile), imageGridPng(best.grid, 100, ds.image, { cols: 10 }));
  }
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    `${title} — ${date}`,
    '',
    `Written by \`npm run eval:conditional\` (bench/eval-conditional.ts) on ${info.cpus} × ${info.cpuModel}, engine ${engineLabel(info)}.`,
    `Model: the \`mnist-cpu\` run ${path.relative(path.join(HERE, '..'), RUN)} (${runConfig.iterations} iterations, net ${JSON.stringify(runConfig.net)}), EMA weights, ${steps} flow steps.`,
    `${CLF_ADVS.length > 1 ? `${CLF_ADVS.length} guidance classifiers A guiding together (their terms added), one per radius below, each` : 'Guidance classifier A'}: filters [16, 32, 64], ${CLF_HEAD === 'gap' ? 'global-average-pooling' : 'flatten'} head, seed 1${CLF_NOISE > 0 ? `, trained with noise augmentation σ ≤ ${CLF_NOISE}` : ''}${ADVERSARIAL ? `, adversarially trained (${CLF_PGD > 1 ? `PGD: ${CLF_PGD} projected steps of 2.5·ε/${CLF_PGD} within` : 'one normalised-gradient L2 step of'} radius ${CLF_ADVS.join(' / ')} per batch, \`--adversarial\`${CLF_PGD > 1 ? ' `--adversarial-steps`' : ''}${CLF_WARMUP > 0 ? `; the radius ramped up from 0 over the first ${100 * CLF_WARMUP}% of the steps, \`--adversarial-warmup\`` : ''})` : ''} (test accuracy ${accuracies}). Judge B: our MNIST feature net, filters [32, 64, 128], flatten head, seed 0 (test accuracy ${pct(judge.meta.testAccuracy)}).`,
    `${SETS} set(s) of ${N} samples per digit (set s from sample seed 1000·digit + 7 + 100·s), drift ∇ₓ(f′(r_θ) − φ ${CLF_ADVS.length > 1 ? 'Σ_A log p_A(y|x)' : 'log p_A(y|x)'})${TEMPERATURE !== 1 ? `, p_A at softmax temperature ${TEMPERATURE} (log softmax(logits/${TEMPERATURE}))` : ''}; goal: B assigns ≥ ${pct(GOAL)} of each digit's samples to that digit, in every set.`,
    '',
    `| φ${CLF_ADVS.length > 1 ? ' (each guide)' : ''} | B: worst set | B: worst digit, all sets | B: mean | A (guide${CLF_ADVS.length > 1 ? 's: the lowest' : ''}) mean | goal met | time |`,
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const mean = r.acc.reduce((a, b) => a + b, 0) / r.acc.length;
      const own = r.ownAcc.reduce((a, b) => a + b, 0) / r.ownAcc.length;
      const w = worstSet(r);
      return `| ${r.phi} | ${pct(w.value)} (digit ${w.digit}) | ${pct(Math.min(...r.acc))} (digit ${DIGITS[r.acc.indexOf(Math.min(...r.acc))]}) | ${pct(mean)} | ${pct(own)} | ${w.value >= GOAL ? 'yes' : '**no**'} | ${r.seconds.toFixed(0)} s |`;
    }),
    '',
    ...rows.map((r) => `φ ${r.phi}, B per digit ${DIGITS.join(', ')} (all sets): ${r.acc.map(pct).join(' · ')}.`),
    ...(SETS > 1 ? rows.map((r) => `φ ${r.phi}, B per set for the three lowest digits: ${[...r.acc.keys()].sort((i, j) => r.acc[i] - r.acc[j]).slice(0, 3).map((i) => `digit ${DIGITS[i]} ${r.sets[i].map(pct).join(' · ')}`).join('; ')}.`) : []),
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
