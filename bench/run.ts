/**
 * `npm run bench`: times DGGF workloads on our engine and, when Debian's PyTorch is installed
 * (/usr/bin/python3 with torch), the same loop in bench/torch_reference.py, side by side in one
 * run; prints ours, the reference and the ratio, and writes bench/RESULTS.md (one section per
 * workload, replaced by each run of that workload).
 *
 *   npm run bench [-- --only paper-toy,cnn,authors-paper-32,memory --iterations 5 --warmup 1 --rounds 1 --engine ort|tfjs
 *                    --backend wasm --threads N --no-torch --batch 64 --no-write]
 *
 * Workloads (`--only` takes a comma list; default all):
 * - `paper-toy`: one training iteration of the paper-toy preset (and our `toy` preset);
 * - `cnn-mnist-cpu`, `cnn-paper-32` (`cnn` = both): one flow step and one train step, batch 64,
 *   of the mnist-cpu CNN and our pre-activation ResNet of paper-32's size (PREACT_RESNETS[32],
 *   the net of the PyTorch reference; the preset itself now has the authors'). It is big (128/256 channels at
 *   32×32: seconds per step on 2 cores), so it runs at most 3 repeats after at most 1 warm-up
 *   whatever `--iterations`/`--warmup` say. On the tfjs engine its batch of 64 does not fit the
 *   wasm backend's 4 GiB heap (the backend aborts, and is unusable after that: it runs last);
 *   `--batch N` times both engines at another batch (CNN workloads only; the heading says which);
 * - `authors-paper-32`: the same two steps of the `paper-32` preset as it stands: the authors'
 *   ResNet32x32 with spectral norm (AUTHORS_NETS.resnet32, bench/torch_reference.py's
 *   AuthorsResNet), same repeats;
 * - `--rounds N` (CNN workloads): N alternating rounds of ours then PyTorch (each the repeats
 *   above); the table has the median over rounds, and each round's figures are listed;
 * - `memory`: 1,000 `mnist-cpu` training iterations, resident memory, tensors and sessions
 *   along the way (no growth expected).
 *
 * `--engine` (default DGGF_ENGINE or auto: ONNX Runtime) picks our engine; `--no-write` leaves
 * bench/RESULTS.md alone (for quick checks).
 *
 * `--threads` (default DGGF_THREADS, else the engine's own: ONNX Runtime the available cores,
 * TF.js min(2, cores)) sets ONNX Runtime's intra-op threads, or the TF.js engine's
 * particle-parallel flow threads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, fusedKernelsEnabled, initEngine, tf } from '../src/engine/index.js';
import type { ImageShape } from '../src/data/index.js';
import type { RunConfigInput } from '../src/config/schema.js';
import { PREACT_RESNETS } from '../src/config/presets.js';

import { args, opt, runScript } from './args.js';
import { replaceSection } from './results-file.js';
import { syntheticImages, timeIterations, type IterationOptions, type Timing } from './steps.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ITER = Number(opt('iterations', '5'));
const WARMUP = Number(opt('warmup', '1'));
const BACKEND = opt('backend', 'wasm');
const ENGINE = args.includes('--engine') ? opt('engine', '') : undefined;
const THREADS = args.includes('--threads') ? Number(opt('threads', '')) : undefined;
const WITH_TORCH = !args.includes('--no-torch');
const WRITE = !args.includes('--no-write');
/** Batch of the CNN workloads (the mnist-cpu and paper-32 presets' batch is 64). */
const CNN_BATCH = Number(opt('batch', '64'));

/** Workloads, and the `--only` names that select them. */
const WORKLOADS = ['paper-toy', 'cnn-mnist-cpu', 'cnn-paper-32', 'authors-paper-32', 'memory'] as const;
type WorkloadName = (typeof WORKLOADS)[number];
const GROUPS: Record<string, WorkloadName[]> = { toy: ['paper-toy'], cnn: ['cnn-mnist-cpu', 'cnn-paper-32', 'authors-paper-32'] };
/** Alternating rounds of ours and PyTorch in the CNN workloads. */
const ROUNDS = Number(opt('rounds', '1'));
function selectedWorkloads(): Set<WorkloadName> {
  const only = opt('only', '');
  if (only === '') return new Set(WORKLOADS);
  const out = new Set<WorkloadName>();
  for (const name of only.split(',').map((t) => t.trim()).filter(Boolean)) {
    const hit = GROUPS[name] ?? (WORKLOADS.includes(name as WorkloadName) ? [name as WorkloadName] : null);
    if (!hit) throw new Error(`--only: unknown workload '${name}' (expected ${[...WORKLOADS, ...Object.keys(GROUPS)].join(', ')})`);
    hit.forEach((w) => out.add(w));
  }
  return out;
}

const threadCount = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;

/** Which engine and kernels our side ran. */
function engineNote(info: Env['info']): string {
  if (info.ort) {
    const threads = info.ort.provider === 'cpu' ? `${threadCount(info.ort.threads)} (batches split by particle, one single-thread session per thread)` : threadCount(info.ort.threads);
    return `Ours: ONNX Runtime ${info.ort.version} (onnxruntime-node), ${info.ort.provider.toUpperCase()} execution provider, ${threads}.`;
  }
  return fusedKernelsEnabled()
    ? `Ours: TF.js ${info.tfjs} (${info.backend}) with our fused WebAssembly SIMD kernels for MLPs (flow and training step), cnn flows and Gaussian priors.`
    : `Ours: TF.js ${info.tfjs} (${info.backend}) only (DGGF_FUSED=0).`;
}

/** Short label of our engine for table rows. */
function engineLabel(info: Env['info']): string {
  return info.ort ? `dggf (ONNX Runtime, ${info.ort.provider}, ${threadCount(info.ort.threads)})` : `dggf (TF.js ${info.backend}, ${threadCount(info.threads)})`;
}

const mib = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(0)} MiB`);

const oursIteration = (preset: string, o: Omit<IterationOptions, 'repeats' | 'warmup'> & Partial<Pick<IterationOptions, 'repeats' | 'warmup'>> = {}): Promise<Timing> =>
  timeIterations(preset, { repeats: ITER, warmup: WARMUP, ...o });

interface TorchResult extends Timing {
  torch?: string;
  threads?: number;
  blas_threads?: number;
  max_rss_mib?: number;
  error?: string;
}

function torchReference(workload: string, blasThreads: number, iterations = ITER, warmup = WARMUP, batch?: number): TorchResult {
  const py = '/usr/bin/python3';
  if (!fs.existsSync(py)) return { error: '/usr/bin/python3 not found', median_ms: NaN, ms: [] };
  const r = spawnSync(
    py,
    [path.join(HERE, 'torch_reference.py'), '--workload', workload, '--iterations', String(iterations), '--warmup', String(warmup), '--threads', '1', '--blas-threads', String(blasThreads), ...(batch ? ['--batch', String(batch)] : [])],
    { encoding: 'utf8', timeout: 1_800_000 },
  );
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    return { error: `no result (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`, median_ms: NaN, ms: [] };
  }
}

const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0 ? '—' : (a / b).toFixed(2);

const RESULTS = path.join(HERE, 'RESULTS.md');

/** Replaces one section of RESULTS.md (unless --no-write). */
function writeSection(marker: string, section: string): void {
  if (!WRITE) return;
  replaceSection(RESULTS, marker, section);
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)} (section "${marker.replace(/^## /, '').trim()}")`);
}

interface Env {
  machine: string;
  date: string;
  info: Awaited<ReturnType<typeof engineInfo>>;
}

async function paperToy(env: Env): Promise<void> {
  const { info, machine, date } = env;
  const ours = await oursIteration('paper-toy');
  console.log(`paper-toy ours: ${fmt(ours.median_ms)} ms/iteration (flow ${fmt(ours.flow_ms_median)}, train step ${fmt(ours.train_ms_median)})`);
  // more repeats for the short toy iteration, whose timing is noisier
  const toy = await oursIteration('toy', { repeats: 8 * ITER });
  console.log(`toy preset ours: ${fmt(toy.median_ms)} ms/iteration (flow ${fmt(toy.flow_ms_median)}, train step ${fmt(toy.train_ms_median)}; batch 256, K 40)`);
  const refs: { label: string; r: TorchResult }[] = [];
  if (WITH_TORCH) {
    for (const [label, blas] of [['PyTorch, 1 thread', 1], ['PyTorch, 1 torch thread + 2 OpenBLAS threads', 2]] as const) {
      const r = torchReference('paper-toy', blas);
      refs.push({ label, r });
      console.log(r.error ? `${label}: unavailable (${r.error})` : `${label}: ${fmt(r.median_ms)} ms/iteration (flow ${fmt(r.flow_ms_median)}, train ${fmt(r.train_ms_median)}) → ratio ours/PyTorch ${(ours.median_ms / r.median_ms).toFixed(2)}`);
    }
  }

  const rows = [
    `| ${engineLabel(info)} | ${fmt(ours.median_ms)} | ${fmt(ours.flow_ms_median)} | ${fmt(ours.train_ms_median)} | ${mib(ours.peak_rss_mib)} | 1.00 |`,
    ...refs.map(({ label, r }) =>
      r.error
        ? `| ${label} | unavailable: ${r.error} | | | | |`
        : `| ${label} (torch ${r.torch}) | ${fmt(r.median_ms)} | ${fmt(r.flow_ms_median)} | ${fmt(r.train_ms_median)} | ${mib(r.max_rss_mib)} | ${(ours.median_ms / r.median_ms).toFixed(2)} |`,
    ),
  ];
  const section = [
    `## paper-toy iteration (MLP 64×3, batch 1024, K = 200, LSIF-χ²) — ${date}`,
    '',
    `Machine: ${machine}; Node ${process.version}. ${engineNote(info)} Median of ${ITER} iterations after ${WARMUP} warm-up,`,
    'both engines in the same `npm run bench` run. Ratio = ours / reference (lower is better for us). Peak memory: the',
    'largest resident set of our process during the workload (after each iteration), of PyTorch\'s process overall.',
    '',
    '| engine | ms/iteration | flow (K steps) | train step | peak memory | ours/ref |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Our \`toy\` preset (MLP 64×3, batch 256, K = 40, LR-KL), same run: ${fmt(toy.median_ms)} ms/iteration (flow ${fmt(toy.flow_ms_median)}, train step ${fmt(toy.train_ms_median)}), median of ${8 * ITER}.`,
    '',
  ].join('\n');
  writeSection('## paper-toy iteration', section);
}

/** The CNN workloads: a preset's net on a batch (`--batch`, default 64) of random images of its shape. */
type CnnWorkload = 'cnn-mnist-cpu' | 'cnn-paper-32' | 'authors-paper-32';
const CNN: Record<
  CnnWorkload,
  {
    preset: string;
    /** Heading of its RESULTS.md section (default: the preset). */
    title?: string;
    /** A sentence on the PyTorch side's net, where it is not the one torch_reference.py builds by default. */
    referenceNet?: string;
    image: ImageShape;
    net: string;
    netConfig?: RunConfigInput['net'];
    repeats: number;
    warmup: number;
    flowSteps: number;
  }
> = {
  'cnn-mnist-cpu': {
    preset: 'mnist-cpu',
    image: { height: 28, width: 28, channels: 1 },
    net: 'cnn 16/32/64, flatten head, dense 128, spectral norm, 28×28×1, LR-KL',
    repeats: ITER,
    warmup: WARMUP,
    // the preset's K
    flowSteps: 10,
  },
  'cnn-paper-32': {
    preset: 'paper-32',
    image: { height: 32, width: 32, channels: 3 },
    net: 'ResNet stem 128, 3 × 128 + 3 × (256↓, 256, 256), 32×32×3, LSIF-χ²',
    // our pre-activation ResNet, as bench/torch_reference.py's ConvResNet (the preset now has the authors' net)
    netConfig: PREACT_RESNETS[32],
    // seconds per step on 2 cores: fewer repeats, and flows of 4 steps (the preset's K is 100)
    repeats: Math.min(ITER, 3),
    warmup: Math.min(WARMUP, 1),
    flowSteps: 4,
  },
  'authors-paper-32': {
    preset: 'paper-32',
    title: "paper-32 with the authors' net",
    image: { height: 32, width: 32, channels: 3 },
    net: "the authors' ResNet32x32: BasicBlocks, stem 128, 128 ×3, 3 × 256 ×3 (stride 2 first), spectral norm, 32×32×3, LSIF-χ²",
    referenceNet:
      "PyTorch's net is `AuthorsResNet` in bench/torch_reference.py (the authors' ResNet32x32 with `torch.nn.utils.spectral_norm` on every layer, 11,374,209 parameters as theirs).",
    repeats: Math.min(ITER, 3),
    warmup: Math.min(WARMUP, 1),
    flowSteps: 4,
  },
};

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * One Euler–Maruyama flow step and one train step of a preset's conv net, batch 64 (the
 * presets' batch; `--batch`), through the real code paths: a Trainer with K = 1 on 256 random images
 * of the preset's shape. Flow step = a K-step runFlow with new weights, divided by K (so it holds
 * a K-th of building the engine's session for those weights); train step = Trainer.step() minus a
 * one-step flow (prior + data draw, forward on 64 flowed + 64 data images, loss, gradients,
 * gradient norm read-back, Adam, EMA). The prior is overridden to N(0, I) (the reference draws
 * randn; the data-gaussian prior's sampling is not what is compared).
 */
async function cnnWorkload(env: Env, name: CnnWorkload): Promise<void> {
  const { info, machine, date } = env;
  const w = CNN[name];
  const ds = syntheticImages(`synthetic-${w.preset}`, w.image);
  const batch = CNN_BATCH;
  const load = os.loadavg()[0].toFixed(1);
  console.log(`${name}: ${w.net}; batch ${batch}; median of ${w.repeats} after ${w.warmup} warm-up …`);
  const overrides: RunConfigInput = { data: ds.name, flowSteps: 1, prior: 'gaussian', batch, ...(w.netConfig ? { net: w.netConfig } : {}) };
  // `--rounds`: ours then PyTorch, alternately, so both see the same stretch of a shared machine's load
  const oursRounds: (Timing & { cpu_s: number })[] = [];
  const refRounds: TorchResult[] = [];
  let failed: string | undefined;
  for (let round = 1; round <= ROUNDS && !failed; round++) {
    if (ROUNDS > 1) console.log(`  round ${round} of ${ROUNDS} (load average ${os.loadavg()[0].toFixed(1)})`);
    try {
      const cpu0 = process.cpuUsage();
      const t = await oursIteration(w.preset, { ds, overrides, repeats: w.repeats, warmup: w.warmup, stepsPerFlow: w.flowSteps - 1 });
      const cpu = process.cpuUsage(cpu0);
      oursRounds.push({ ...t, cpu_s: (cpu.user + cpu.system) / 1e6 });
      console.log(
        `  ours: flow step ${fmt(t.flow_step_ms_median)} ms (in a ${w.flowSteps}-step flow; a 1-step flow ${fmt(t.flow_ms_median)} ms), train step ${fmt(t.train_ms_median)} ms (Trainer.step with K = 1: ${fmt(t.median_ms)} ms); ` +
          `CPU: flow step ${fmt(t.flow_step_cpu_ms_median)} ms, train step ${fmt(t.train_cpu_ms_median)} ms; peak memory ${mib(t.peak_rss_mib)}; ${oursRounds.at(-1)!.cpu_s.toFixed(0)} CPU s for the round`,
      );
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      // the wasm backend aborts (no JS exception to recover from) when malloc fails in its 4 GiB heap
      failed = msg.startsWith('Aborted(') ? `the ${info.backend} backend aborted (wasm 'Aborted()'), out of memory: batch ${batch} does not fit its 4 GiB heap` : msg.slice(0, 160);
      console.log(`  ours: failed (${failed})`);
    }
    if (!WITH_TORCH) continue;
    const r = torchReference(name, 1, w.repeats, w.warmup, batch);
    refRounds.push(r);
    if (r.error) {
      console.log(`  PyTorch: unavailable (${r.error})`);
      break;
    }
    const t = oursRounds.at(-1);
    console.log(
      `  PyTorch (torch ${r.torch}, ${r.threads} thread, OpenBLAS ${r.blas_threads}): flow step ${fmt(r.flow_ms_median)} ms, train step ${fmt(r.train_ms_median)} ms; ` +
        `CPU: flow step ${fmt(r.flow_cpu_ms_median)} ms, train step ${fmt(r.train_cpu_ms_median)} ms; peak memory ${mib(r.max_rss_mib)}`,
    );
    console.log(`  ratio ours/PyTorch: flow step ${ratio(t?.flow_step_ms_median, r.flow_ms_median)}, train step ${ratio(t?.train_ms_median, r.train_ms_median)}`);
  }
  const pick = <R,>(rs: R[], key: keyof R): number => median(rs.map((r) => r[key] as number));
  const ours: Timing | { error: string } = failed
    ? { error: failed }
    : {
        median_ms: pick(oursRounds, 'median_ms'),
        ms: oursRounds.flatMap((t) => t.ms),
        flow_ms_median: pick(oursRounds, 'flow_ms_median'),
        train_ms_median: pick(oursRounds, 'train_ms_median'),
        flow_step_ms_median: pick(oursRounds, 'flow_step_ms_median'),
        peak_rss_mib: Math.max(...oursRounds.map((t) => t.peak_rss_mib ?? NaN)),
        flow_step_cpu_ms_median: pick(oursRounds, 'flow_step_cpu_ms_median'),
        train_cpu_ms_median: pick(oursRounds, 'train_cpu_ms_median'),
      };
  const o = 'error' in ours ? undefined : ours;
  const refLast = refRounds.at(-1);
  const ref: TorchResult | undefined =
    refLast && !refLast.error
      ? {
          ...refLast,
          median_ms: pick(refRounds, 'median_ms'),
          flow_ms_median: pick(refRounds, 'flow_ms_median'),
          train_ms_median: pick(refRounds, 'train_ms_median'),
          max_rss_mib: Math.max(...refRounds.map((r) => r.max_rss_mib ?? NaN)),
          flow_cpu_ms_median: pick(refRounds, 'flow_cpu_ms_median'),
          train_cpu_ms_median: pick(refRounds, 'train_cpu_ms_median'),
        }
      : refLast;
  const roundLines =
    ROUNDS > 1 && o
      ? [
          '',
          `Each round (ours, then PyTorch; flow step / train step in ms${refRounds.length ? ', ours/PyTorch' : ''}; our process's CPU seconds for its round of ${w.warmup} + ${w.repeats} iterations):`,
          '',
          ...oursRounds.map((t, i) => {
            const r = refRounds[i];
            const theirs =
              r && !r.error
                ? `; PyTorch ${fmt(r.flow_ms_median)} / ${fmt(r.train_ms_median)} (CPU ${fmt(r.flow_cpu_ms_median)} / ${fmt(r.train_cpu_ms_median)}); ` +
                  `ratio ${ratio(t.flow_step_ms_median, r.flow_ms_median)} / ${ratio(t.train_ms_median, r.train_ms_median)} (CPU ${ratio(t.flow_step_cpu_ms_median, r.flow_cpu_ms_median)} / ${ratio(t.train_cpu_ms_median, r.train_cpu_ms_median)})`
                : '';
            return `- round ${i + 1}: ours ${fmt(t.flow_step_ms_median)} / ${fmt(t.train_ms_median)} (CPU ${fmt(t.flow_step_cpu_ms_median)} / ${fmt(t.train_cpu_ms_median)}; ${t.cpu_s.toFixed(0)} CPU s for the round)${theirs}`;
          }),
        ]
      : [];
  const refOk = ref && !ref.error ? ref : undefined;
  const both = (flow?: number, train?: number): number | undefined => (flow !== undefined && train !== undefined ? flow + train : undefined);
  const row = (step: string, a?: number, b?: number, ca?: number, cb?: number): string =>
    `| ${step} | ${o ? fmt(a) : 'fails'} | ${refOk ? fmt(b) : '—'} | ${ratio(a, b)} | ${o ? fmt(ca) : 'fails'} | ${refOk ? fmt(cb) : '—'} | ${ratio(ca, cb)} |`;
  const refNote = !WITH_TORCH
    ? 'PyTorch reference not run (`--no-torch`).'
    : refOk
      ? `PyTorch ${refOk.torch}, 1 torch thread, OpenBLAS pool ${refOk.blas_threads} (convolutions through oneDNN), NCHW.`
      : `PyTorch reference unavailable: ${ref?.error}.`;
  const tfjsNote =
    info.engine === 'tfjs'
      ? ` ${info.backend} backend${info.simd ? ' (SIMD)' : ''}, ${info.backend === 'wasm' ? `${info.wasmThreads ?? 1} wasm thread` : '1 thread'} (flows split by particle over the flow threads: conv nets from 2 noise chunks of 16 up; a conv net's train step in 2 gradient blocks, one per thread).`
      : '';
  const section = [
    `## CNN steps: ${w.title ?? w.preset} (${w.net}, batch ${batch}) — ${date}`,
    '',
    `Machine: ${machine}, load average ${load} at the start (shared machines make these noisy); Node ${process.version}. ` +
      `${engineNote(info)}${tfjsNote} ${refNote}${w.referenceNet ? ` ${w.referenceNet}` : ''}`,
    `Median of ${w.repeats} after ${w.warmup} warm-up${ROUNDS > 1 ? `, then the median over ${ROUNDS} alternating rounds` : ''}, both engines in the same \`npm run bench\` run` +
      `${w.repeats < ITER ? ' (fewer repeats: this net is big)' : ''}. Ratio = ours / reference (lower is better for us).`,
    `Flow step: one Euler–Maruyama step x ← x − η∇ₓf′(net(x)) + νξ on ${batch} images (∇ w.r.t. x only); ours is a ${w.flowSteps}-step`,
    `flow with new weights divided by ${w.flowSteps}, so it holds a ${w.flowSteps}th of building the session for those weights (a 1-step flow:`,
    `${o ? fmt(o.flow_ms_median) : '—'} ms). Train step: forward on ${batch} flowed + ${batch} data images, ratio loss, backward, Adam, EMA; ours is`,
    'Trainer.step() with K = 1 minus a 1-step flow (so it also holds the prior/data draws and the loss/gradient-norm read-back).',
    ...(o ? [] : ['', `Ours failed: ${(ours as { error: string }).error}`]),
    '',
    'CPU: process CPU time (all threads) of the same steps, robust to other processes on a shared machine.',
    '',
    '| step | dggf ms | PyTorch ms | ours/ref | dggf CPU ms | PyTorch CPU ms | CPU ours/ref |',
    '|---|---|---|---|---|---|---|',
    row('flow step', o?.flow_step_ms_median, refOk?.flow_ms_median, o?.flow_step_cpu_ms_median, refOk?.flow_cpu_ms_median),
    row('train step', o?.train_ms_median, refOk?.train_ms_median, o?.train_cpu_ms_median, refOk?.train_cpu_ms_median),
    row(
      'flow + train step',
      both(o?.flow_step_ms_median, o?.train_ms_median),
      both(refOk?.flow_ms_median, refOk?.train_ms_median),
      both(o?.flow_step_cpu_ms_median, o?.train_cpu_ms_median),
      both(refOk?.flow_cpu_ms_median, refOk?.train_cpu_ms_median),
    ),
    ...roundLines,
    '',
    `Peak memory: ours ${o ? mib(o.peak_rss_mib) : '—'} (largest resident set of our process after a step of this workload), PyTorch ${refOk ? mib(refOk.max_rss_mib) : '—'} (its process).`,
    '',
  ].join('\n');
  writeSection(`## CNN steps: ${w.title ?? w.preset} (`, section);
}

/**
 * 1,000 training iterations of `mnist-cpu` (synthetic images of its shape): resident memory,
 * engine tensors and ONNX Runtime sessions after 100, 250, 500 and 1,000 iterations.
 */
async function memoryWorkload(env: Env): Promise<void> {
  const { info, machine, date } = env;
  const { resolveConfig } = await import('../src/config/resolve.js');
  const { Trainer, deriveSetup } = await import('../src/train/trainer.js');
  const ds = syntheticImages('synthetic-mnist-cpu', { height: 28, width: 28, channels: 1 }, 1024);
  const { config } = resolveConfig({ preset: 'mnist-cpu', overrides: { data: ds.name, prior: 'gaussian' }, defaults: {} });
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  const sessions = async (): Promise<string> => (info.ort ? String((await import('../src/engine/ort/sessions.js')).sessionCount()) : '—');
  const rows: string[] = [];
  const t0 = performance.now();
  console.log(`memory: 1,000 mnist-cpu iterations …`);
  for (let i = 1; i <= 1000; i++) {
    await tr.step();
    if ([100, 250, 500, 1000].includes(i)) {
      const rss = process.memoryUsage().rss / 2 ** 20;
      const row = `| ${i} | ${rss.toFixed(0)} MiB | ${tf.memory().numTensors} | ${await sessions()} | ${((performance.now() - t0) / 1000).toFixed(0)} s |`;
      rows.push(row);
      console.log(`  ${row}`);
    }
  }
  tr.dispose();
  const section = [
    `## Memory over 1,000 iterations (mnist-cpu) — ${date}`,
    '',
    `Machine: ${machine}; Node ${process.version}. ${engineNote(info)} Trainer.step() of the \`mnist-cpu\` preset (batch 64, K 10) on`,
    `synthetic 28×28 images; the process's resident set, the TF.js tensors alive, and the ONNX Runtime sessions held, after`,
    'each count of iterations.',
    '',
    '| iterations | resident memory | TF.js tensors | sessions | elapsed |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeSection('## Memory over 1,000 iterations', section);
}

async function main(): Promise<void> {
  const selected = selectedWorkloads();
  if (!Number.isInteger(CNN_BATCH) || CNN_BATCH < 1) throw new Error(`--batch: expected a positive integer, got '${opt('batch', '')}'`);
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds: expected a positive integer, got '${opt('rounds', '')}'`);
  await initEngine(BACKEND, { threads: THREADS, engine: ENGINE });
  const info = await engineInfo();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  console.log(`dggf bench — ${machine}; ${engineNote(info)} Median of ${ITER} after ${WARMUP} warm-up; workloads ${[...selected].join(', ')}`);
  if (WITH_TORCH) console.log('PyTorch reference: /usr/bin/python3 bench/torch_reference.py, 1 torch thread (+ OpenBLAS pool as labelled)');
  const env: Env = { machine, date: new Date().toISOString().slice(0, 10), info };
  if (selected.has('paper-toy')) await paperToy(env);
  if (selected.has('cnn-mnist-cpu')) await cnnWorkload(env, 'cnn-mnist-cpu');
  if (selected.has('memory')) await memoryWorkload(env);
  // last: on the tfjs engine a batch that does not fit the wasm heap leaves the backend unusable
  if (selected.has('authors-paper-32')) await cnnWorkload(env, 'authors-paper-32');
  if (selected.has('cnn-paper-32')) await cnnWorkload(env, 'cnn-paper-32');
}

runScript(main);
