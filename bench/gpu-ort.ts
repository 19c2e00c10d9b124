/**
 * The GPU check of the ONNX Runtime engine (run by bench/gpu.sh): on ONNX Runtime's CUDA
 * execution provider,
 * 1. correctness: the preset's net (default paper-32) — its flow drift ∇ₓ f′(r(x)) and its
 *    training loss and parameter gradients on a few images — against the same engine on the
 *    CPU; tolerance 1e-3 relative to the largest value;
 * 2. speed: one flow step (in a flow of 4 steps) and one train step of the preset at batch 64
 *    and 128 (`--batches`), median of `--repeats` after one warm-up, timed as `npm run bench` does.
 * Fails with a clear message, exit 2, where the CUDA provider is not installed (it is not part of
 * the npm package: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` fetches it, on a
 * machine with CUDA 12 and network access to its feed). Writes the section "GPU check (ONNX
 * Runtime, CUDA)" of bench/RESULTS.md (not with `--no-write`) and bench/gpu-ort-result.json.
 *
 *   bench/gpu.sh --engine ort [--batches 64,128] [--repeats 5] [--preset paper-32] [--no-write]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeEngine, engineInfo, initEngine, tf } from '../src/engine/index.js';
import { cudaProviderInstalled } from '../src/engine/ort/runtime.js';
import { resolveConfig } from '../src/config/resolve.js';
import { netSpec, createRatioNet } from '../src/nets/ratio-net.js';
import { drift, ratioTerm } from '../src/flow/index.js';
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
const SIZES: Record<string, ImageShape> = {
  'paper-32': { height: 32, width: 32, channels: 3 },
  'paper-64': { height: 64, width: 64, channels: 3 },
  'mnist-cpu': { height: 28, width: 28, channels: 1 },
};

/** The drift, loss and gradients of the preset's net on a few images, on the provider asked. */
async function netResults(provider: 'cpu' | 'cuda', image: ImageShape): Promise<Float32Array[]> {
  process.env.DGGF_ORT_PROVIDER = provider;
  await initEngine('cpu', { engine: 'ort' });
  const { config } = resolveConfig({ preset: PRESET, overrides: { data: 'synthetic' }, defaults: {} });
  const dim = image.height * image.width * image.channels;
  const net = createRatioNet(netSpec(config.net, dim, image), new Rng(9));
  const loss = getLoss(config.loss);
  const x = tf.tensor2d(new Rng(8).uniformArray(4 * dim, -1, 1), [4, dim]);
  try {
    const g = await drift(x, [ratioTerm(net, config.divergence, loss.output)]);
    const t = await activeEngine().trainingGradients(net, loss, tf.slice(x, [0, 0], [2, dim]), tf.slice(x, [2, 0], [2, dim]));
    const out = [g.dataSync() as Float32Array, Float32Array.of(t.loss, t.meanOut), ...t.grads.map((v) => v.dataSync() as Float32Array)];
    tf.dispose([g, ...t.grads]);
    return out;
  } finally {
    x.dispose();
    net.dispose();
  }
}

async function main(): Promise<void> {
  if (!cudaProviderInstalled()) {
    console.error(
      'bench/gpu.sh --engine ort: the CUDA execution provider of ONNX Runtime is not installed.\n' +
        'It is not part of the npm package; on a machine with an NVIDIA GPU and CUDA 12, fetch it with\n' +
        '  ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js\n' +
        '(it downloads from ONNX Runtime\'s package feed), then run this again.',
    );
    process.exit(2);
  }
  const image = SIZES[PRESET];
  if (!image) throw new Error(`--preset ${PRESET}: expected one of ${Object.keys(SIZES).join(', ')}`);
  const reference = await netResults('cpu', image);
  const got = await netResults('cuda', image);
  const info = await engineInfo();
  const relativeError = compareOutputs(reference, got);
  const ok = relativeError <= 1e-3;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${PRESET} net on CUDA vs CPU (drift, loss, gradients): relative error ${relativeError.toExponential(2)} (tolerance 1e-3)`);

  const ds = syntheticImages(`synthetic-${PRESET}`, image);
  const rows: { batch: number; flow_ms: number; train_ms: number }[] = [];
  console.log(`\n${PRESET} on ONNX Runtime ${info.ort?.version} (${info.ort?.provider}): flow step in a 4-step flow, train step; median of ${REPEATS} after 1 warm-up`);
  for (const batch of BATCHES) {
    const t = await timeIterations(PRESET, { ds, overrides: { data: ds.name, flowSteps: 1, prior: 'gaussian', batch }, repeats: REPEATS, warmup: 1, stepsPerFlow: 3 });
    rows.push({ batch, flow_ms: t.flow_step_ms_median!, train_ms: t.train_ms_median! });
    console.log(`| ${batch} | flow step ${t.flow_step_ms_median!.toFixed(1)} ms | train step ${t.train_ms_median!.toFixed(1)} ms |`);
  }
  const date = new Date().toISOString();
  fs.writeFileSync(path.join(HERE, 'gpu-ort-result.json'), JSON.stringify({ date, ort: info.ort, preset: PRESET, relativeError, ok, steps: rows }, null, 2) + '\n');
  if (!flag('no-write')) {
    const section = [
      `## GPU check (ONNX Runtime, CUDA) — ${date.slice(0, 10)}`,
      '',
      `Written by \`bench/gpu.sh --engine ort\` (bench/gpu-ort.ts); ONNX Runtime ${info.ort?.version}, CUDA execution provider, Node ${info.node}.`,
      `${PRESET} net (drift, training loss and gradients on 4 images) on CUDA against the CPU: relative error ${relativeError.toExponential(2)} (tolerance 1e-3): ${ok ? 'pass' : '**FAIL**'}.`,
      '',
      '| batch | flow step ms | train step ms |',
      '|---|---|---|',
      ...rows.map((r) => `| ${r.batch} | ${r.flow_ms.toFixed(1)} | ${r.train_ms.toFixed(1)} |`),
      '',
    ].join('\n');
    replaceSection(path.join(HERE, 'RESULTS.md'), '## GPU check (ONNX Runtime, CUDA)', section);
  }
  if (!ok) throw new Error('the CUDA results differ from the CPU ones (see above)');
}

runScript(main);
