/**
 * `npm run eval`: the statistical quality check of the 2-D presets, too slow for `npm test`.
 * Trains a preset on every built-in 2-D target for each seed, evaluates the samples against
 * fresh data (MMD with the data-vs-data value for scale; off-support share and mass per part
 * against the known support) and writes the generated part of bench/QUALITY.md (the text from
 * "## Experiments" on is kept) and a gallery picture docs/<preset>-gallery.png (first seed).
 *
 *   npm run eval [-- --preset toy --seeds 0,1,2 --data rings,moons]
 *   npm run eval -- --set '{"eta":0.2}' --name eta0.2 --no-write    # an experiment: rows only
 *   npm run eval -- --jobs 2    # targets split between 2 processes of one thread each
 *
 * Every run's row is also appended to bench/out/toy-runs.jsonl.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import type { RunConfigInput } from '../src/config/schema.js';
import { TOY_DATASET_NAMES } from '../src/data/index.js';
import { evaluateModel } from '../src/report/evaluate-run.js';
import { COLORS, Raster, boundsOf, drawScatter, encodePng } from '../src/viz/index.js';
import { GOAL, judgeRuns, markdownTable, trainToy, type ToyRun } from './toy-quality.js';

import { flag, opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRESET = opt('preset', 'toy');
const SEEDS = opt('seeds', opt('seed', '0')).split(',').map(Number);
const NAMES = opt('data', TOY_DATASET_NAMES.join(',')).split(',');
const OVERRIDES = JSON.parse(opt('set', '{}')) as RunConfigInput;
const NAME = opt('name', PRESET);
const WRITE = !flag('no-write');
const JOBS = Math.max(1, Number(opt('jobs', '1')));
/** A process started by `--jobs`: trains its share of the targets and sends each result to the parent. */
const WORKER = flag('worker');

type Result = { run: ToyRun; samples: Float32Array; reference: Float32Array };

/** Trains the preset on one target and evaluates it; the samples and data for the gallery. */
async function trainAndEvaluate(name: string, seed: number): Promise<Result> {
  const { trainer: tr, dataset: ds, seconds, cpuSeconds } = await trainToy(PRESET, OVERRIDES, name, seed);
  const { evaluation, samples, reference } = await evaluateModel(tr.model, ds, { n: 2000, seed: 1000 + seed });
  tr.dispose();
  const run: ToyRun = { experiment: NAME, data: name, seed, trainSeconds: seconds, cpuSeconds, evaluation };
  return { run, samples, reference };
}

/** Prints a run's row and appends it to bench/out/toy-runs.jsonl. */
function record(run: ToyRun): void {
  console.log(markdownTable([run]).at(-1));
  fs.appendFileSync(path.join(HERE, 'out', 'toy-runs.jsonl'), JSON.stringify({ ...run, overrides: OVERRIDES, date: new Date().toISOString() }) + '\n');
}

/** Every target × seed in this process, seed by seed (every target's first seed comes first), each result handed to `done` as it comes. */
async function trainAll(names: string[], done: (r: Result) => void | Promise<void>): Promise<void> {
  for (const seed of SEEDS) {
    for (const name of names) {
      const r = await trainAndEvaluate(name, seed);
      record(r.run);
      await done(r);
    }
  }
}

/** `--jobs N`: the targets dealt out to N processes (one thread each unless DGGF_THREADS says otherwise). */
function trainInWorkers(done: (r: Result) => void): Promise<void> {
  const groups = Array.from({ length: Math.min(JOBS, NAMES.length) }, (_, j) => NAMES.filter((_, i) => i % JOBS === j));
  const passOn = ['preset', 'seeds', 'set', 'name', 'backend', 'engine'].flatMap((k) => {
    const v = opt(k, '');
    return v ? [`--${k}`, v] : [];
  });
  return Promise.all(
    groups.map(
      (group) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(fileURLToPath(import.meta.url), [...passOn, '--data', group.join(','), '--worker'], { serialization: 'advanced' });
          child.on('message', (m) => done(m as Result));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`eval worker for ${group.join(', ')} exited with ${code}`))));
        }),
    ),
  ).then(() => undefined);
}

async function main(): Promise<void> {
  if (JOBS > 1) process.env.DGGF_THREADS ??= '1';
  await initEngine(opt('backend', 'wasm'), { engine: opt('engine', 'auto') });
  fs.mkdirSync(path.join(HERE, 'out'), { recursive: true });
  // a worker waits for each message to be sent: runScript exits the process when main resolves
  if (WORKER) return trainAll(NAMES, (r) => new Promise<void>((resolve, reject) => process.send!(r, undefined, {}, (e) => (e ? reject(e) : resolve()))));
  const info = await engineInfo();
  const cell = 300;
  const cols = 4;
  const gallery = new Raster(cols * cell, Math.ceil(NAMES.length / cols) * cell);
  console.log(
    `${NAME}: preset ${PRESET}, overrides ${JSON.stringify(OVERRIDES)}, engine ${info.engine} (${info.ort?.threads ?? info.threads} thread(s))${JOBS > 1 ? `, ${JOBS} processes` : ''}`,
  );
  const results = new Map<string, Result>();
  const all = NAMES.flatMap((name) => SEEDS.map((seed) => `${name}/${seed}`));
  const ordered = (): ToyRun[] => all.filter((k) => results.has(k)).map((k) => results.get(k)!.run);
  const done = (r: Result): void => {
    const { data: name, seed } = r.run;
    results.set(`${name}/${seed}`, r);
    if (seed === SEEDS[0]) {
      const i = NAMES.indexOf(name);
      drawScatter(
        gallery,
        [
          { points: r.reference, color: COLORS.data },
          { points: r.samples, color: COLORS.samples },
        ],
        boundsOf([r.reference]),
        { rect: { x: (i % cols) * cell, y: Math.floor(i / cols) * cell, w: cell, h: cell }, title: name, axes: false },
      );
    }
    const pending = all.filter((k) => !results.has(k));
    if (pending.length > 0) write(ordered(), gallery, info, pending);
  };
  await (JOBS > 1 ? trainInWorkers(done) : trainAll(NAMES, done));
  write(ordered(), gallery, info, []);
}

/**
 * Writes the verdicts and, with WRITE, the generated part of bench/QUALITY.md and the gallery;
 * called after every run, so a long eval that is stopped keeps what it measured (`pending`
 * names the target/seed runs not done yet).
 */
function write(runs: ToyRun[], gallery: Raster, info: Awaited<ReturnType<typeof engineInfo>>, pending: string[]): void {
  const verdicts = judgeRuns(runs);
  if (pending.length === 0) for (const v of verdicts) console.log(v.line);
  const galleryFile = `${PRESET}-gallery${WRITE ? '' : `-${NAME}`}.png`;
  const galleryDir = WRITE ? path.join(HERE, '..', 'docs') : path.join(HERE, 'out');
  fs.mkdirSync(galleryDir, { recursive: true });
  fs.writeFileSync(path.join(galleryDir, galleryFile), encodePng(gallery));
  if (!WRITE) {
    if (pending.length === 0) console.log(`gallery: ${path.join(galleryDir, galleryFile)}`);
    return;
  }
  const date = new Date().toISOString().slice(0, 10);
  const generated = [
    `## \`${PRESET}\` on every built-in target`,
    '',
    `Written by \`npm run eval -- --preset ${PRESET} --seeds ${SEEDS.join(',')}${JOBS > 1 ? ` --jobs ${JOBS}` : ''}\` (bench/eval-toy.ts) on ${date}: the preset trained once per target and seed`,
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
    ...(pending.length > 0 ? [`- not run (the eval was stopped before them): ${pending.join(', ')}`] : []),
    '',
    `![samples (blue) over data (grey) for each target, seed ${SEEDS[0]}](../docs/${galleryFile})`,
    '',
  ];
  const file = path.join(HERE, 'QUALITY.md');
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const kept = previous.includes('\n## Experiments') ? previous.slice(previous.indexOf('\n## Experiments') + 1) : '';
  const md = ['# Quality of the 2-D presets', '', ...generated, kept].join('\n');
  fs.writeFileSync(file, md);
  if (pending.length === 0) console.log(`wrote bench/QUALITY.md and docs/${galleryFile}`);
}

runScript(main);
