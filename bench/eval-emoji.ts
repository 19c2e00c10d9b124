/**
 * `npm run eval:emoji`: the colour check of the `emoji-cpu` preset on 32×32 Google emoji, too
 * slow for `npm test`. Trains the preset (fixed seed, a resumable run folder), then checks 1,000
 * samples against the data with our emoji feature net (trained first if missing):
 * - FID on our features, mean over `--draws` (default 3) independent draws of 1,000 samples
 *   against 1,000 training images, below one tenth of the prior's own FID;
 * - every category's share of the samples within 0.5–2× of its share among real images, both
 *   as the feature net assigns them (so the classifier's own biases cancel; the shares of the
 *   true labels are printed too);
 * - no copying: the median distance (pixel L2 in [−1, 1]) from a sample to its nearest training
 *   image is at least 0.8× the same figure for the held-out real images;
 * - training within 60 minutes;
 * and writes the figures to bench/RESULTS.md (section "Emoji quality", or "Experiment: NAME")
 * and grids of samples, prior draws and their nearest training images to docs/.
 *
 *   npm run eval:emoji [-- --seed 0 --out bench/runs/emoji-cpu --n 1000 --iterations N --config FILE --experiment NAME]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveDataset, isImageDataset, imagesToFloat, type ImageDataset } from '../src/data/index.js';
import { loadRun } from '../src/train/run.js';
import { loadFeatureNet, trainFeatureNet, classifySamples, imageMetrics } from '../src/eval/features.js';
import { clampImages, realImageSets } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { Rng } from '../src/util/rng.js';
import { opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';
import { dataGaussianReferenceFid, f3, nearestTraining, pct, sampleDraw, trainPreset } from './image-eval.js';
import { replaceSection } from './results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(opt('seed', '0'));
const OUT = opt('out', path.join(HERE, 'runs', `emoji-cpu-seed${SEED}`));
const N = Number(opt('n', '1000'));
const ITERATIONS = opt('iterations', '');
const CONFIG = opt('config', '');
const EXPERIMENT = opt('experiment', '');
const DRAWS = Number(opt('draws', '3'));
if (!(Number.isInteger(DRAWS) && DRAWS >= 1)) throw new Error(`--draws ${DRAWS}: expected an integer ≥ 1`);
if (EXPERIMENT && !/^[a-z0-9-]+$/.test(EXPERIMENT)) throw new Error(`--experiment ${EXPERIMENT}: use lower-case letters, digits and '-'`);

async function main(): Promise<void> {
  await initEngine(opt('backend', 'wasm'));
  const info = await engineInfo();
  const ds = resolveDataset('emoji');
  if (!isImageDataset(ds) || !ds.test) throw new Error('emoji did not load as images with a held-out split');
  const dim = ds.image.height * ds.image.width * ds.image.channels;

  let features;
  try {
    features = await loadFeatureNet('emoji', { image: ds.image });
  } catch {
    console.log('training the emoji feature net (dggf features train --data emoji) …');
    features = await trainFeatureNet(ds as ImageDataset, { seed: 0 });
  }
  console.log(`feature net: ${features.dir} (test accuracy ${pct(features.meta.testAccuracy)})`);

  const { config, iterations, totalMinutes } = await trainPreset({
    preset: 'emoji-cpu',
    dataset: ds,
    out: OUT,
    seed: SEED,
    configFile: CONFIG || undefined,
    iterations: ITERATIONS ? Number(ITERATIONS) : undefined,
  });

  const { model } = loadRun(OUT);
  const draw = (d: number) => sampleDraw(model, ds, features, N, SEED, d);
  const first = await draw(0);
  const { samples } = first;
  const priorDraws = clampImages(model.prior.sample(N, new Rng(777)));
  const mp = await imageMetrics(features, priorDraws, first.sets.real, first.sets.other, N);
  const fids = [first.metrics.fid];
  const kids = [first.metrics.kid];
  for (let d = 1; d < DRAWS; d++) {
    const { metrics: m } = await draw(d);
    fids.push(m.fid);
    kids.push(m.kid);
  }
  model.dispose();
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const fidMean = mean(fids);

  // categories: the feature net's shares of the samples against its shares of real images
  const hs = await classifySamples(features, samples, N);
  const hr = await classifySamples(features, first.sets.real, N);
  const names = hs.classNames ?? hs.fractions.map((_, c) => String(c));
  const labels = ds.train.labels!;
  const labelShare = names.map((_, c) => labels.reduce((a, l) => a + (l === c ? 1 : 0), 0) / labels.length);
  const shareRatios = hs.fractions.map((f, c) => f / hr.fractions[c]);
  const sharesOk = shareRatios.every((r) => r >= 0.5 && r <= 2);

  // copying: nearest training image of each sample and of each held-out image
  const copying = nearestTraining(samples, N, ds, imagesToFloat(ds.test));
  const { train, fromSamples, fromHeldOut, ratio: copyRatio } = copying;
  const copyOk = copyRatio >= 0.8;

  const fidOk = fidMean < mp.fid / 10;
  const ddpFid = await dataGaussianReferenceFid(model.prior, ds, features, first.sets, N);
  const minutesOk = totalMinutes <= 60;
  const verdict = (ok: boolean) => (ok ? 'pass' : '**FAIL**');
  const docs = path.join(HERE, '..', 'docs');
  fs.mkdirSync(docs, { recursive: true });
  const tag = EXPERIMENT ? `emoji-${EXPERIMENT}` : 'emoji';
  fs.writeFileSync(path.join(docs, `${tag}-samples.png`), imageGridPng(samples, 100, ds.image, { cols: 10 }));
  fs.writeFileSync(path.join(docs, `${tag}-prior.png`), imageGridPng(priorDraws, 100, ds.image, { cols: 10 }));
  // the first 50 samples above the training image nearest to each
  const pairs = new Float32Array(100 * dim);
  for (let i = 0; i < 50; i++) {
    const row = Math.floor(i / 10);
    const col = i % 10;
    pairs.set(samples.subarray(i * dim, (i + 1) * dim), (2 * row * 10 + col) * dim);
    const j = fromSamples.index[i];
    pairs.set(train.subarray(j * dim, (j + 1) * dim), ((2 * row + 1) * 10 + col) * dim);
  }
  fs.writeFileSync(path.join(docs, `${tag}-nearest.png`), imageGridPng(pairs, 100, ds.image, { cols: 10 }));

  const date = new Date().toISOString().slice(0, 10);
  const section = [
    EXPERIMENT ? `## Experiment: \`emoji-cpu\` ${EXPERIMENT} (seed ${SEED}) — ${date}` : `## Emoji quality (\`emoji-cpu\`, seed ${SEED}) — ${date}`,
    '',
    `Written by \`npm run eval:emoji\` (bench/eval-emoji.ts) on ${info.cpus} × ${info.cpuModel}, engine ${engineLabel(info)}.`,
    `Training: ${iterations} iterations in ${totalMinutes.toFixed(1)} min (${config.net.type} ${JSON.stringify(config.net)}; K ${config.flowSteps} + κ ${config.sampleExtraSteps}, η ${config.eta}, batch ${config.batch}, lr ${config.lr}).`,
    `${N} samples (EMA weights, ${config.flowSteps + config.sampleExtraSteps} flow steps; ${first.seconds.toFixed(0)} s), judged by our emoji feature net (category accuracy ${pct(features.meta.testAccuracy)}) against ${N} training images; copying against all ${ds.train.count} training images.`,
    '',
    '| check | samples | prior draws | real | goal | verdict |',
    '|---|---|---|---|---|---|',
    `| FID (our features), mean of ${DRAWS} draws | ${f3(fidMean)} | ${f3(mp.fid)} | ${f3(first.metrics.realFid)} (real vs real) | < prior/10 = ${f3(mp.fid / 10)} | ${verdict(fidOk)} |`,
    ...(ddpFid !== null
      ? [`| FID against the data-dependent Gaussian's draws (for reference: the prior the goal was set with) | ${f3(fidMean)} | ${f3(ddpFid)} | — | < ${f3(ddpFid / 10)} | ${fidMean < ddpFid / 10 ? 'below' : 'above'} |`]
      : []),
    `| KID, mean of ${DRAWS} draws | ${f3(mean(kids))} | ${f3(mp.kid)} | ${f3(first.metrics.realKid)} | — | — |`,
    `| category share ÷ real images' share (min–max) | ${shareRatios.length ? `${Math.min(...shareRatios).toFixed(2)}–${Math.max(...shareRatios).toFixed(2)}` : '—'} | — | 1 | each 0.5–2 | ${verdict(sharesOk)} |`,
    `| median distance to the nearest training image | ${f3(copying.sampleMedian)} | — | ${f3(copying.heldOutMedian)} (held-out images) | ≥ 0.8 × held-out (ratio ${copyRatio.toFixed(2)}) | ${verdict(copyOk)} |`,
    `| training time | ${totalMinutes.toFixed(1)} min | — | — | ≤ 60 min | ${verdict(minutesOk)} |`,
    '',
    `Categories (samples / real images by the feature net / true labels of the training set): ${names.map((n, c) => `${n} ${pct(hs.fractions[c])} / ${pct(hr.fractions[c])} / ${pct(labelShare[c])}`).join(' · ')}.`,
    '',
    `FID per draw: ${fids.map(f3).join(' · ')}; KID: ${kids.map(f3).join(' · ')}.`,
    '',
    `![100 samples of emoji-cpu](../docs/${tag}-samples.png) ![100 draws of the prior they start from](../docs/${tag}-prior.png)`,
    '',
    `Rows in pairs: 50 samples, and under each the training image nearest to it: ![samples and their nearest training images](../docs/${tag}-nearest.png)`,
    '',
    ...(CONFIG ? [`Config laid over the preset (${path.basename(CONFIG)}): \`${fs.readFileSync(CONFIG, 'utf8').replace(/\s+/g, ' ').trim()}\``, ''] : []),
  ].join('\n');
  replaceSection(path.join(HERE, 'RESULTS.md'), EXPERIMENT ? `## Experiment: \`emoji-cpu\` ${EXPERIMENT} ` : '## Emoji quality', section);
  console.log(section);
}

runScript(main);
