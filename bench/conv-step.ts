/**
 * Times the engines.md CNN workload on the wasm backend, with our replacement conv kernels and
 * with the stock tfjs-backend-wasm kernels where those run:
 *
 *   npx tsx bench/conv-step.ts [--reps 7] [--warmup 2] [--profile] [--resnet]
 *
 * Net: 28×28×1 images, conv3×3 1→32, conv4×4/2 32→64, conv4×4/2 64→128 ('same', + bias),
 * LeakyReLU 0.2 as x·step(x, 0.2), global mean, dense → 1.
 * - flow step: forward on 64 images + gradient w.r.t. the input;
 * - train step: forward on 64 + 64, logistic loss, gradients of all parameters (variableGrads).
 * Columns: stock tfjs-backend-wasm kernels (training fails: no Conv2DBackpropFilter); stock
 * plus only our filter gradient (the least that trains); all our kernels (as initEngine
 * installs them). Median of --reps after --warmup, wall clock and the process's CPU time (the
 * backend runs single-threaded here, so CPU time is the better number on a busy machine).
 * --profile prints the slowest kernels of each step (ours); --resnet also times a small
 * pre-activation ResNet (src/nets/conv.ts: 28×28×1, stem 32, blocks 32↓, 64↓, 64) the same way.
 */
import os from 'node:os';
import { initEngine, tf, type Tensor } from '../src/engine/index.js';
import { useKernel } from '../src/engine/kernels/wasm-ops.js';
import { buildConvNet } from '../src/nets/conv.js';
import { Rng } from '../src/util/rng.js';
import { flag, opt, runScript } from './args.js';

const REPS = Number(opt('reps', '7'));
const WARMUP = Number(opt('warmup', '2'));
const BATCH = 64;
/** Our replacement kernels, switched off for the "stock" column. */
const OURS = ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'AvgPoolGrad', 'Sum'];

type Forward = (x: tf.Tensor4D) => tf.Tensor2D;

function cnn(rng: Rng): { forward: Forward; vars: tf.Variable[] } {
  const vars: tf.Variable[] = [];
  const param = (shape: number[], fanIn: number): tf.Variable => {
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const v = tf.variable(tf.tensor(rng.uniformArray(n, -bound, bound), shape), true);
    vars.push(v);
    return v;
  };
  const layers = [
    { k: 3, cin: 1, cout: 32, s: 1 },
    { k: 4, cin: 32, cout: 64, s: 2 },
    { k: 4, cin: 64, cout: 128, s: 2 },
  ].map((l) => ({ ...l, w: param([l.k, l.k, l.cin, l.cout], l.k * l.k * l.cin), b: param([l.cout], l.k * l.k * l.cin) }));
  const dw = param([128, 1], 128);
  const db = param([1], 128);
  const forward: Forward = (x) => {
    let h: Tensor = x;
    for (const l of layers) {
      const z = tf.add(tf.conv2d(h as tf.Tensor4D, l.w as tf.Tensor4D, l.s, 'same'), l.b);
      h = tf.mul(z, tf.step(z, 0.2));
    }
    return tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, dw as tf.Tensor2D), db) as tf.Tensor2D;
  };
  return { forward, vars };
}

function resnet(rng: Rng): { forward: Forward; vars: tf.Variable[] } {
  const res = (channels: number, down = false) => ({ channels, down });
  const { params, forward } = buildConvNet(
    {
      type: 'resnet',
      image: { height: 28, width: 28, channels: 1 },
      stem: 32,
      blocks: [res(32, true), res(64, true), res(64)],
      activation: 'leaky_relu',
    },
    rng,
    'bench',
  );
  const vars = params.map((p) => p.variable);
  return { forward: (x) => forward(tf.reshape(x, [x.shape[0], 28 * 28]) as tf.Tensor2D, vars), vars };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall-clock ms and median process CPU ms (user + system: robust on a busy machine). */
interface Timing {
  wall: number;
  cpu: number;
}

function timeIt(step: () => Tensor[]): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WARMUP + REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = step();
    for (const t of out) t.dataSync();
    tf.dispose(out);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    if (i >= WARMUP) {
      wall.push(t1 - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const show = (t: Timing): string => `${t.wall.toFixed(0)} (cpu ${t.cpu.toFixed(0)})`;

function steps(net: { forward: Forward; vars: tf.Variable[] }, rng: Rng) {
  const img = (n: number) => tf.tensor4d(rng.normalArray(n * 28 * 28), [n, 28, 28, 1]);
  const x = img(BATCH);
  const xp = img(BATCH);
  const xq = img(BATCH);
  const flow = (): Tensor[] => [tf.grad((xx: Tensor) => tf.sum(net.forward(xx as tf.Tensor4D)))(x)];
  const train = (): Tensor[] => {
    const { value, grads } = tf.variableGrads(() => {
      const f = net.forward(tf.concat([xp, xq], 0));
      const [fp, fq] = tf.split(f, 2, 0);
      // logistic loss: p labelled 1, q labelled 0
      return tf.add(tf.mean(tf.softplus(tf.neg(fp))), tf.mean(tf.softplus(fq))) as tf.Scalar;
    }, net.vars);
    return [value, ...Object.values(grads)];
  };
  return { flow, train };
}

async function profile(label: string, step: () => Tensor[]): Promise<void> {
  let out: Tensor[] = [];
  const p = await tf.profile(() => (out = step()));
  tf.dispose(out);
  const byName = new Map<string, { ms: number; n: number }>();
  for (const k of p.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number;
    e.n++;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12);
  console.log(`  ${label}: ${rows.map(([n, e]) => `${n}×${e.n} ${e.ms.toFixed(1)}`).join(', ')}`);
}

async function main(): Promise<void> {
  await initEngine('wasm');
  const rows: [string, string, string, string][] = [];
  const workloads = flag('resnet') ? ['cnn', 'resnet'] : ['cnn'];
  for (const w of workloads) {
    const rng = new Rng(7);
    const net = w === 'cnn' ? cnn(rng) : resnet(rng);
    const { flow, train } = steps(net, rng);
    const ours = { flow: timeIt(flow), train: timeIt(train) };
    if (flag('profile')) {
      await profile(`${w} flow kernels (ms)`, flow);
      await profile(`${w} train kernels (ms)`, train);
    }
    for (const k of OURS) useKernel(k, 'wasm', 'stock');
    const stockFlow = timeIt(flow);
    let stockTrain: string;
    try {
      stockTrain = show(timeIt(train));
    } catch (e) {
      const missing = /Kernel '(\w+)' not registered/.exec((e as Error).message);
      stockTrain = missing ? `fails: no ${missing[1]}` : `fails: ${(e as Error).message.slice(0, 60)}`;
    }
    // the least that makes training run: stock kernels plus our (otherwise missing) filter gradient
    useKernel('Conv2DBackpropFilter', 'wasm', 'ours');
    const filterOnlyTrain = timeIt(train);
    for (const k of OURS) useKernel(k, 'wasm', 'ours');
    rows.push([`${w} flow step`, show(stockFlow), '(same as stock)', show(ours.flow)]);
    rows.push([`${w} train step`, stockTrain, show(filterOnlyTrain), show(ours.train)]);
    tf.dispose(net.vars);
  }
  const load = os.loadavg()[0].toFixed(1);
  console.log(`\nwasm backend, batch ${BATCH}, median of ${REPS} after ${WARMUP} warm-up: wall ms (process CPU ms); load average ${load}`);
  console.log('| step | stock wasm | stock + our filter gradient | all our kernels |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

runScript(main);
