/**
 * The GPU check (run by bench/gpu.sh): on the webgpu backend,
 * 1. correctness: conv forward/input/filter gradients (strides 1 and 2) and AddN past the
 *    storage-buffer limit against the cpu reference; the paper-32 ResNet's flow drift
 *    ∇ₓ f′(r(x)) and parameter gradients on 2 images against wasm (itself tested against cpu
 *    in `npm test`; cpu takes many minutes on this net); tolerance 1e-3 relative to the
 *    largest value;
 * 2. speed: one flow step and one train step of the paper-32 ResNet (LSIF-χ², as in
 *    `npm run bench`) at batch 64 and 128 (`--batches`), median of `--repeats` after one warm-up.
 * Prints a table, writes bench/gpu-result.json (`--out FILE`) and the section "GPU check
 * (webgpu)" of bench/RESULTS.md (not with `--no-write`); exit 1 if a check fails.
 * Installs nothing: run `npm ci` first (the optional `webgpu` package brings Dawn).
 *
 *   bench/gpu.sh [--batches 64,128] [--repeats 5] [--preset paper-32] [--out FILE] [--skip-check] [--no-write]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine, readAndDispose, tf } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { netSpec, createRatioNet } from '../src/nets/ratio-net.js';
import { ratioTerm } from '../src/flow/index.js';
import { driftGradient } from '../src/engine/tfjs/drift.js';
import { getLoss } from '../src/losses/index.js';
import { Rng } from '../src/util/rng.js';
import type { ImageShape } from '../src/data/index.js';
import { flag, opt, runScript } from './args.js';
import { syntheticImages, timeIterations } from './steps.js';
import { replaceSection } from './results-file.js';
import { relativeError as compareOutputs } from './compare.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BATCHES = opt('batches', '64,128').split(',').map(Number);
const REPEATS = Number(opt('repeats', '5'));
const PRESET = opt('preset', 'paper-32');
const OUT = opt('out', path.join(HERE, 'gpu-result.json'));
const SIZES: Record<string, ImageShape> = {
  'paper-32': { height: 32, width: 32, channels: 3 },
  'paper-64': { height: 64, width: 64, channels: 3 },
  'mnist-cpu': { height: 28, width: 28, channels: 1 },
  'emoji-cpu': { height: 32, width: 32, channels: 3 },
};

interface Check {
  name: string;
  /** max over outputs of max |webgpu − reference| / (1 + max |reference|) of that output */
  relativeError: number;
  tolerance: number;
  ok: boolean;
}

/** Runs `make` on the reference backend and on webgpu; relative max error of every output. */
async function parity(name: string, make: () => tf.Tensor[], reference: 'cpu' | 'wasm' = 'cpu', tol = 1e-3): Promise<Check> {
  const read = async (backend: 'cpu' | 'wasm' | 'webgpu'): Promise<Float32Array[]> => {
    await initEngine(backend, { engine: 'tfjs' });
    return (await readAndDispose(...make())) as Float32Array[];
  };
  const ref = await read(reference);
  const got = await read('webgpu');
  const relativeError = compareOutputs(ref, got);
  return { name: `${name} vs ${reference}`, relativeError, tolerance: tol, ok: relativeError <= tol };
}

async function correctness(image: ImageShape): Promise<Check[]> {
  const rng = new Rng(7);
  const checks: Check[] = [];
  for (const [stride, pad, k] of [
    [1, 'same', 3],
    [2, 'same', 4],
    [2, 'valid', 3],
  ] as const) {
    const xv = rng.normalArray(4 * 16 * 16 * 8);
    const wv = rng.normalArray(k * k * 8 * 16);
    checks.push(
      await parity(`conv ${k}×${k} stride ${stride} ${pad}: forward, ∂x, ∂w`, () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xv, [4, 16, 16, 8]);
          const w = tf.tensor4d(wv, [k, k, 8, 16]);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)));
          return [tf.conv2d(x, w, stride, pad), ...tf.grads(f)([x, w])];
        }),
      ),
    );
  }
  const parts = Array.from({ length: 12 }, () => rng.normalArray(100));
  checks.push(await parity('AddN of 12 tensors', () => tf.tidy(() => [tf.addN(parts.map((p) => tf.tensor1d(p)))])));

  // the preset's net: drift and parameter gradients on a few images
  const { config } = resolveConfig({ preset: PRESET, overrides: { data: 'synthetic' }, defaults: {} });
  const dim = image.height * image.width * image.channels;
  const xv = new Rng(8).uniformArray(2 * dim, -1, 1);
  const loss = getLoss(config.loss);
  checks.push(
    await parity(`${PRESET} net: flow drift and parameter gradients (2 images)`, () => {
      const net = createRatioNet(netSpec(config.net, dim, image), new Rng(9));
      try {
        return tf.tidy(() => {
          const x = tf.tensor2d(xv, [2, dim]);
          const drift = driftGradient([ratioTerm(net, config.divergence, loss.output)])(x);
          const vars = net.params.map((p) => p.variable);
          const { value, grads } = tf.variableGrads(() => loss.compute(net.apply(tf.slice(x, [0, 0], [1, dim])), net.apply(tf.slice(x, [1, 0], [1, dim]))) as tf.Scalar, vars);
          return [drift, value, ...vars.map((v) => grads[v.name])];
        });
      } finally {
        net.dispose();
      }
    }, 'wasm'),
  );
  return checks;
}

async function main(): Promise<void> {
  const image = SIZES[PRESET];
  if (!image) throw new Error(`--preset ${PRESET}: expected one of ${Object.keys(SIZES).join(', ')}`);
  if (BATCHES.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batches ${opt('batches', '')}: expected positive integers, e.g. 64,128`);
  await initEngine('webgpu', { engine: 'tfjs' });
  const info = await engineInfo();
  console.log(`dggf GPU check — ${info.gpu ?? 'unknown adapter'}; TF.js ${info.tfjs} webgpu; Node ${info.node}`);

  const checks = flag('skip-check') ? [] : await correctness(image);
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: relative error ${c.relativeError.toExponential(2)} (tolerance ${c.tolerance})`);

  await initEngine('webgpu', { engine: 'tfjs' });
  const ds = syntheticImages(`synthetic-${PRESET}`, image);
  const rows: { batch: number; flow_ms: number; train_ms: number; iteration_ms: number }[] = [];
  console.log(`\n${PRESET} on webgpu: one flow step and one train step (Trainer.step with K = 1 minus a flow step), median of ${REPEATS} after 1 warm-up`);
  console.log('| batch | flow step ms | train step ms | flow + train ms |');
  console.log('|---|---|---|---|');
  for (const batch of BATCHES) {
    const t = await timeIterations(PRESET, { ds, overrides: { data: ds.name, flowSteps: 1, prior: 'gaussian', batch }, repeats: REPEATS, warmup: 1 });
    const row = { batch, flow_ms: t.flow_ms_median!, train_ms: t.train_ms_median!, iteration_ms: t.median_ms };
    rows.push(row);
    console.log(`| ${batch} | ${row.flow_ms.toFixed(1)} | ${row.train_ms.toFixed(1)} | ${(row.flow_ms + row.train_ms).toFixed(1)} |`);
  }
  const result = { date: new Date().toISOString(), gpu: info.gpu, tfjs: info.tfjs, node: info.node, preset: PRESET, repeats: REPEATS, checks, steps: rows };
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwritten: ${OUT}`);
  if (!flag('no-write')) {
    const software = /llvmpipe|lavapipe|swiftshader/i.test(info.gpu ?? '');
    const section = [
      `## GPU check (webgpu): ${info.gpu ?? 'unknown adapter'} — ${result.date.slice(0, 10)}`,
      '',
      `Written by \`bench/gpu.sh\` (bench/gpu.ts); TF.js ${info.tfjs} webgpu through Dawn (npm webgpu), Node ${info.node}.` +
        (software ? ' **A software (CPU) Vulkan driver: a correctness run, not a GPU speed figure.**' : ''),
      '',
      '| check | relative error | tolerance | verdict |',
      '|---|---|---|---|',
      ...checks.map((c) => `| ${c.name} | ${c.relativeError.toExponential(2)} | ${c.tolerance} | ${c.ok ? 'pass' : '**FAIL**'} |`),
      '',
      `${PRESET}: one flow step and one train step (Trainer.step with K = 1 minus a flow step), median of ${REPEATS} after 1 warm-up:`,
      '',
      '| batch | flow step ms | train step ms | flow + train ms |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.batch} | ${r.flow_ms.toFixed(1)} | ${r.train_ms.toFixed(1)} | ${(r.flow_ms + r.train_ms).toFixed(1)} |`),
      '',
    ].join('\n');
    replaceSection(path.join(HERE, 'RESULTS.md'), '## GPU check (webgpu)', section);
  }
  if (checks.some((c) => !c.ok)) throw new Error('a correctness check failed (see above)');
}

runScript(main);
