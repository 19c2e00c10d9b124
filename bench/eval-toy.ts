/**
 * `npm run eval`: the statistical quality check of the 2-D presets, too slow for `npm test`.
 * Trains a preset on every built-in 2-D target for each seed, evaluates the samples against
 * fresh data (MMD with the data-vs-data value for scale; off-support share and mass per part
 * against the known support) and writes the generated part of bench/QUALITY.md (the text from
 * "## Experiments" on is kept) and a gallery picture docs/<preset>-gallery.png (first seed).
 *
 *   npm run eval [-- --preset toy --seeds 0,1,2 --data rings,moons]
 *   npm run eval -- --set '{"eta":0.2}' --name eta0.2 --no-write    # an experiment: rows only
 *
 * Every run's row is also appended to bench/out/toy-runs.jsonl.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import type { RunConfigInput } from '../src/config/schema.js';
import { resolveDataset, TOY_DATASET_NAMES } from '../src/data/index.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';
import { evaluateModel } from '../src/report/evaluate-run.js';
import { COLORS, Raster, boundsOf, drawScatter, encodePng } from '../src/viz/index.js';
import { GOAL, judgeRuns, markdownTable, type ToyRun } from './toy-quality.js';

import { flag, opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRESET = opt('preset', 'toy');
const SEEDS = opt('seeds', opt('seed', '0')).split(',').map(Number);
const NAMES = opt('data', TOY_DATASET_NAMES.join(',')).split(',');
const OVERRIDES = JSON.parse(opt('set', '{}')) as RunConfigInput;
const NAME = opt('name', PRESET);
const WRITE = !flag('no-write');

/** Trains the preset on one target and evaluates it; the samples and data for the gallery. */
async function trainAndEvaluate(name: string, seed: number): Promise<{ run: ToyRun; samples: Float32Array; reference: Float32Array }> {
  const { config } = resolveConfig({ preset: PRESET, overrides: { ...OVERRIDES, data: name, seed }, defaults: {} });
  const ds = resolveDataset(name);
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (tr.iteration < config.iterations) await tr.step();
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const { evaluation, samples, reference } = await evaluateModel(tr.model, ds, { n: 2000, seed: 1000 + seed });
  tr.dispose();
  const run: ToyRun = { experiment: NAME, data: name, seed, trainSeconds: seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, evaluation };
  return { run, samples, reference };
}

async function main(): Promise<void> {
  await initEngine(opt('backend', 'wasm'), { engine: opt('engine', 'auto') });
  const info = await engineInfo();
  const runs: ToyRun[] = [];
  const cell = 300;
  const cols = 4;
  const gallery = new Raster(cols * cell, Math.ceil(NAMES.length / cols) * cell);
  fs.mkdirSync(path.join(HERE, 'out'), { recursive: true });
  console.log(`${NAME}: preset ${PRESET}, overrides ${JSON.stringify(OVERRIDES)}, engine ${info.engine} (${info.ort?.threads ?? info.threads} thread(s))`);
  for (const [i, name] of NAMES.entries()) {
    for (const seed of SEEDS) {
      const { run, samples, reference } = await trainAndEvaluate(name, seed);
      runs.push(run);
      console.log(markdownTable([run]).at(-1));
      fs.appendFileSync(path.join(HERE, 'out', 'toy-runs.jsonl'), JSON.stringify({ ...run, overrides: OVERRIDES, date: new Date().toISOString() }) + '\n');
      if (seed !== SEEDS[0]) continue;
      drawScatter(
        gallery,
        [
          { points: reference, color: COLORS.data },
          { points: samples, color: COLORS.samples },
        ],
        boundsOf([reference]),
        { rect: { x: (i % cols) * cell, y: Math.floor(i / cols) * cell, w: cell, h: cell }, title: name, axes: false },
      );
    }
  }
  const verdicts = judgeRuns(runs);
  for (const v of verdicts) console.log(v.line);
  const galleryFile = `${PRESET}-gallery${WRITE ? '' : `-${NAME}`}.png`;
  const galleryDir = WRITE ? path.join(HERE, '..', 'docs') : path.join(HERE, 'out');
  fs.mkdirSync(galleryDir, { recursive: true });
  fs.writeFileSync(path.join(galleryDir, galleryFile), encodePng(gallery));
  if (!WRITE) {
    console.log(`gallery: ${path.join(galleryDir, galleryFile)}`);
    return;
  }
  const date = new Date().toISOString().slice(0, 10);
  const generated = [
    `## \`${PRESET}\` on every built-in target`,
    '',
    `Written by \`npm run eval -- --preset ${PRESET} --seeds ${SEEDS.join(',')}\` (bench/eval-toy.ts) on ${date}: the preset trained once per target and seed`,
    `on ${info.cpus} × ${info.cpuModel} (engine ${engineLabel(info)}); wall-clock times`,
    'grow when the machine is busy; "CPU s" is the process\'s user + system time while training.',
    'MMD: 2,000 samples against 2,000 fresh data points, divided by the MMD between two independent data draws of that size',
    '(1.0 = as close as fresh data). Off-support: share of 10,000 samples farther than max(3σ, 1% of the support\'s spread)',
    'from the generator\'s noise-free support (in brackets: the data\'s own share). Parts: each sample counts for its nearest',
    'part (mode, ring, moon, arm, cell, …); "worst part" is the largest |sample share / data share − 1|.',
    `Goal: MMD ratio ≤ ${GOAL.mmdRatio}, off-support ≤ ${100 * GOAL.offSupport}%, every part within ±${100 * GOAL.shareError}% of the data's share, on every seed.`,
    '',
    ...markdownTable(runs),
    '',
    ...verdicts.map((v) => `- ${v.line}`),
    '',
    `![samples (blue) over data (grey) for each target, seed ${SEEDS[0]}](../docs/${galleryFile})`,
    '',
  ];
  const file = path.join(HERE, 'QUALITY.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const kept = previous.includes('\n## Experiments') ? previous.slice(previous.indexOf('\n## Experiments') + 1) : '';
  const md = ['# Quality of the 2-D presets', '', ...generated, kept].join('\n');
  fs.writeFileSync(file, md);
  console.log(`wrote bench/QUALITY.md and docs/${galleryFile}`);
}

runScript(main);
