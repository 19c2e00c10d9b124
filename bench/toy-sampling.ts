/**
 * Sampling experiments for bench/QUALITY.md: trains a 2-D preset once per target (and seed) and
 * evaluates the same trained model under several sampling schedules, so that what sampling
 * alone changes is told apart from what training changes. A schedule is a list of flow
 * segments (steps, noise ν) run one after the other with the EMA weights.
 *
 *   tsx bench/toy-sampling.ts --data rings,25gaussians --seeds 0 [--set '{...}'] [--variants preset,anneal20]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, tf } from '../src/engine/index.js';
import type { RunConfig, RunConfigInput } from '../src/config/schema.js';
import { TOY_DATASET_NAMES } from '../src/data/index.js';
import { denormalize } from '../src/data/normalizer.js';
import { evaluateSampled, samplesToCount } from '../src/report/evaluate-run.js';
import { runFlow, FlowNoise } from '../src/flow/index.js';
import type { FlowModel } from '../src/flow/model.js';
import { Rng } from '../src/util/rng.js';
import { COLORS, Raster, boundsOf, drawScatter, encodePng } from '../src/viz/index.js';
import { markdownTable, trainToy, type ToyRun } from './toy-quality.js';
import { opt, runScript } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRESET = opt('preset', 'toy');
const SEEDS = opt('seeds', '0').split(',').map(Number);
const NAMES = opt('data', TOY_DATASET_NAMES.join(',')).split(',');
const OVERRIDES = JSON.parse(opt('set', '{}')) as RunConfigInput;

type Segment = { steps: number; noise: number };

/**
 * The run's sampling schedule (K + κ steps, the last sampleQuietSteps without noise) with `more`
 * quiet steps after it, or, for `more` < 0, that many fewer noisy steps before the quiet ones.
 */
function quietSchedule(c: RunConfig, more: number): Segment[] {
  const steps = c.flowSteps + c.sampleExtraSteps;
  const quiet = Math.min(steps, c.sampleQuietSteps ?? 0);
  return [
    { steps: Math.max(0, steps - quiet + Math.min(0, more)), noise: c.noise },
    { steps: quiet + Math.max(0, more), noise: 0 },
  ];
}

/** The schedules, from the run's config: K training steps, κ extra, ν. */
const VARIANTS: Record<string, (c: RunConfig) => Segment[]> = {
  preset: (c) => [{ steps: c.flowSteps + c.sampleExtraSteps, noise: c.noise }],
  'K only': (c) => [{ steps: c.flowSteps, noise: c.noise }],
  'K+20': (c) => [{ steps: c.flowSteps + 20, noise: c.noise }],
  'K+60': (c) => [{ steps: c.flowSteps + 60, noise: c.noise }],
  'anneal κ': (c) => [
    { steps: c.flowSteps, noise: c.noise },
    { steps: c.sampleExtraSteps, noise: 0 },
  ],
  'anneal 20': (c) => [
    { steps: c.flowSteps + c.sampleExtraSteps - 20, noise: c.noise },
    { steps: 20, noise: 0 },
  ],
  'K+20 at ν=0': (c) => [
    { steps: c.flowSteps, noise: c.noise },
    { steps: 20, noise: 0 },
  ],
  'K+10 at ν=0': (c) => [
    { steps: c.flowSteps, noise: c.noise },
    { steps: 10, noise: 0 },
  ],
  'K+40 at ν=0': (c) => [
    { steps: c.flowSteps, noise: c.noise },
    { steps: 40, noise: 0 },
  ],
  'K+40 last 10 at ν=0': (c) => [
    { steps: c.flowSteps + 30, noise: c.noise },
    { steps: 10, noise: 0 },
  ],
  // the config's own sampling schedule (its last sampleQuietSteps without noise), n fewer noisy steps before the quiet ones (−n) or n more quiet steps after them (+n)
  'schedule-10': (c) => quietSchedule(c, -10),
  'schedule-5': (c) => quietSchedule(c, -5),
  schedule: (c) => quietSchedule(c, 0),
  'schedule+5 at ν=0': (c) => quietSchedule(c, 5),
  'schedule+10 at ν=0': (c) => quietSchedule(c, 10),
  'schedule+20 at ν=0': (c) => quietSchedule(c, 20),
  'no noise': (c) => [{ steps: c.flowSteps + c.sampleExtraSteps, noise: 0 }],
  'ν×3': (c) => [{ steps: c.flowSteps + c.sampleExtraSteps, noise: 3 * c.noise }],
};
/** Picture files are named after the target, the seed and the overrides (so experiments keep theirs). */
const TAG = Object.keys(OVERRIDES).length ? `-${JSON.stringify(OVERRIDES).replace(/[^a-zA-Z0-9.]+/g, '')}` : '';
const CHOSEN = opt('variants', Object.keys(VARIANTS).join(',')).split(',');
const unknown = CHOSEN.filter((v) => !(v in VARIANTS));
if (unknown.length > 0) {
  console.error(`toy-sampling: --variants: unknown ${unknown.map((v) => `'${v}'`).join(', ')} (expected some of: ${Object.keys(VARIANTS).join(', ')})`);
  process.exit(2);
}

/** n samples flowed through the segments with the EMA weights (same prior draw for every schedule). */
async function sampleWith(model: FlowModel, n: number, seed: number, segments: Segment[]): Promise<Float32Array> {
  const rng = new Rng(seed);
  const dim = model.derived.dim;
  let x = tf.tensor2d(model.prior.sample(n, rng), [n, dim]);
  for (const [i, seg] of segments.entries()) {
    if (seg.steps <= 0) continue;
    const r = await runFlow(x, [model.ratioTerm(false)], { steps: seg.steps, eta: model.config.eta, noise: seg.noise }, new FlowNoise(seed * 31 + i));
    x.dispose();
    x = r.x;
  }
  const raw = (await x.data()) as Float32Array;
  x.dispose();
  return denormalize(raw, dim, model.derived.normalizer);
}

async function main(): Promise<void> {
  await initEngine('wasm');
  fs.mkdirSync(path.join(HERE, 'out'), { recursive: true });
  console.log(`sampling variants of ${PRESET} ${JSON.stringify(OVERRIDES)}: ${CHOSEN.join(' | ')}`);
  for (const name of NAMES) {
    for (const seed of SEEDS) {
      const { trainer: tr, config, dataset: ds, seconds, cpuSeconds } = await trainToy(PRESET, OVERRIDES, name, seed);
      const cell = 300;
      const sheet = new Raster(cell * CHOSEN.length, cell);
      for (const [col, v] of CHOSEN.entries()) {
        const samples = await sampleWith(tr.model, samplesToCount(ds, 2000), 1000 + seed, VARIANTS[v](config));
        const { evaluation, samples: shown, reference } = evaluateSampled({ samples }, ds, { n: 2000, seed: 1000 + seed });
        drawScatter(sheet, [{ points: reference, color: COLORS.data }, { points: shown, color: COLORS.samples }], boundsOf([reference]), {
          rect: { x: col * cell, y: 0, w: cell, h: cell },
          title: v,
          axes: false,
        });
        const run: ToyRun = { experiment: `sampling: ${v}`, data: name, seed, trainSeconds: seconds, cpuSeconds, evaluation };
        console.log(`${v.padEnd(18)} ${markdownTable([run]).at(-1)}`);
        fs.appendFileSync(path.join(HERE, 'out', 'toy-runs.jsonl'), JSON.stringify({ ...run, overrides: OVERRIDES, date: new Date().toISOString() }) + '\n');
      }
      fs.writeFileSync(path.join(HERE, 'out', `sampling-${name}-${seed}${TAG}.png`), encodePng(sheet));
      tr.dispose();
    }
  }
}

runScript(main);
