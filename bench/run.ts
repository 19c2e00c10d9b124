/**
 * `npm run bench`: times DGGF workloads on our engine and, when Debian's PyTorch is installed
 * (/usr/bin/python3 with torch), the same loop in bench/torch_reference.py, side by side in one
 * run; prints ms/iteration, the ratio, and writes bench/RESULTS.md.
 *
 *   npm run bench [-- --iterations 5 --warmup 1 --backend wasm --threads N --no-torch]
 *
 * `--threads` (default DGGF_THREADS or min(2, cores)) sets the particle-parallel flow's threads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine, tf } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { resolveDataset } from '../src/data/index.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';
import { FlowNoise, runFlow } from '../src/flow/index.js';
import { Rng } from '../src/util/rng.js';

import { args, opt } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ITER = Number(opt('iterations', '5'));
const WARMUP = Number(opt('warmup', '1'));
const BACKEND = opt('backend', 'wasm');
const THREADS = args.includes('--threads') ? Number(opt('threads', '')) : undefined;
const WITH_TORCH = !args.includes('--no-torch');

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Timing {
  median_ms: number;
  ms: number[];
  flow_ms_median?: number;
  train_ms_median?: number;
}

/**
 * One training iteration of a preset (paper-toy: batch 1024, K 200, MLP 64×3, LSIF-χ²; toy:
 * batch 256, K 40, LR-KL), and the flow alone at the same size for the split.
 */
function oursIteration(preset: string): Timing {
  const { config } = resolveConfig({ preset, overrides: { data: '8gaussians' }, defaults: {} });
  const ds = resolveDataset('8gaussians');
  const tr = new Trainer(config, ds, deriveSetup(config, ds));
  const ms: number[] = [];
  const flowMs: number[] = [];
  const rng = new Rng(1);
  // more repeats for the short toy iteration, whose timing is noisier
  const repeats = preset === 'toy' ? 8 * ITER : ITER;
  for (let i = 0; i < WARMUP + repeats; i++) {
    const t0 = performance.now();
    tr.step();
    const t1 = performance.now();
    // the flow alone, same size, for the split
    const x0 = tf.tensor2d(rng.normalArray(config.batch * 2), [config.batch, 2]);
    const t2 = performance.now();
    const r = runFlow(x0, [tr.model.ratioTerm(true)], { steps: config.flowSteps, eta: config.eta, noise: config.noise }, new FlowNoise(rng.nextU32()));
    r.x.dataSync();
    const t3 = performance.now();
    tf.dispose([x0, r.x]);
    if (i >= WARMUP) {
      ms.push(t1 - t0);
      flowMs.push(t3 - t2);
    }
  }
  tr.dispose();
  const it = median(ms);
  const flow = median(flowMs);
  return { median_ms: it, ms, flow_ms_median: flow, train_ms_median: Math.max(0, it - flow) };
}

interface TorchResult extends Timing {
  torch?: string;
  threads?: number;
  blas_threads?: number;
  error?: string;
}

function torchPaperToy(blasThreads: number): TorchResult {
  const py = '/usr/bin/python3';
  if (!fs.existsSync(py)) return { error: '/usr/bin/python3 not found', median_ms: NaN, ms: [] };
  const r = spawnSync(
    py,
    [path.join(HERE, 'torch_reference.py'), '--workload', 'paper-toy', '--iterations', String(ITER), '--warmup', String(WARMUP), '--threads', '1', '--blas-threads', String(blasThreads)],
    { encoding: 'utf8', timeout: 900_000 },
  );
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    return { error: `no result (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`, median_ms: NaN, ms: [] };
  }
}

const fmt = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(1));

async function main(): Promise<void> {
  await initEngine(BACKEND, { threads: THREADS });
  const info = await engineInfo();
  const threadsLabel = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
  console.log(`dggf bench — ${machine}; engine ${info.backend} (SIMD ${info.simd}, ${threadsLabel}); median of ${ITER} after ${WARMUP} warm-up`);

  const ours = oursIteration('paper-toy');
  console.log(`paper-toy ours: ${fmt(ours.median_ms)} ms/iteration (flow ${fmt(ours.flow_ms_median)}, train step ${fmt(ours.train_ms_median)})`);
  const toy = oursIteration('toy');
  console.log(`toy preset ours: ${fmt(toy.median_ms)} ms/iteration (flow ${fmt(toy.flow_ms_median)}, train step ${fmt(toy.train_ms_median)}; batch 256, K 40)`);
  const refs: { label: string; r: TorchResult }[] = [];
  if (WITH_TORCH) {
    for (const [label, blas] of [['PyTorch, 1 thread', 1], ['PyTorch, 1 torch thread + 2 OpenBLAS threads', 2]] as const) {
      const r = torchPaperToy(blas);
      refs.push({ label, r });
      console.log(r.error ? `${label}: unavailable (${r.error})` : `${label}: ${fmt(r.median_ms)} ms/iteration (flow ${fmt(r.flow_ms_median)}, train ${fmt(r.train_ms_median)}) → ratio ours/PyTorch ${(ours.median_ms / r.median_ms).toFixed(2)}`);
    }
  }

  const date = new Date().toISOString().slice(0, 10);
  const rows = [
    `| dggf (${info.backend}, SIMD, ${threadsLabel}) | ${fmt(ours.median_ms)} | ${fmt(ours.flow_ms_median)} | ${fmt(ours.train_ms_median)} | 1.00 |`,
    ...refs.map(({ label, r }) =>
      r.error
        ? `| ${label} | unavailable: ${r.error} | | | |`
        : `| ${label} (torch ${r.torch}) | ${fmt(r.median_ms)} | ${fmt(r.flow_ms_median)} | ${fmt(r.train_ms_median)} | ${(ours.median_ms / r.median_ms).toFixed(2)} |`,
    ),
  ];
  const section = [
    `## paper-toy iteration (MLP 64×3, batch 1024, K = 200, LSIF-χ²) — ${date}`,
    '',
    `Machine: ${machine}; Node ${process.version}; TF.js ${info.tfjs}. Median of ${ITER} iterations after ${WARMUP} warm-up,`,
    'both engines in the same `npm run bench` run. Ratio = ours / reference (lower is better for us).',
    '',
    '| engine | ms/iteration | flow (K steps) | train step | ours/ref |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Our \`toy\` preset (MLP 64×3, batch 256, K = 40, LR-KL), same run: ${fmt(toy.median_ms)} ms/iteration (flow ${fmt(toy.flow_ms_median)}, train step ${fmt(toy.train_ms_median)}), median of ${8 * ITER}.`,
    '',
  ].join('\n');
  const file = path.join(HERE, 'RESULTS.md');
  const header = '# Benchmark results\n\nWritten by `npm run bench` (bench/run.ts); each run replaces the section of its workload.\n\n';
  let body = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : header;
  const marker = '## paper-toy iteration';
  const start = body.indexOf(marker);
  if (start >= 0) {
    const next = body.indexOf('\n## ', start + marker.length);
    body = body.slice(0, start) + section.trimEnd() + '\n\n' + (next >= 0 ? body.slice(next + 1) : '');
  } else {
    body = body.trimEnd() + '\n\n' + section;
  }
  fs.writeFileSync(file, body);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
