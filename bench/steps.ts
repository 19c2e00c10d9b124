/**
 * Step timing shared by `npm run bench` (bench/run.ts) and the GPU check (bench/gpu.ts): real
 * Trainer iterations of a preset, and the flow alone at the same size for the flow/train split.
 */
import { tf } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { makeImageDataset, resolveDataset, type ImageDataset, type ImageShape, type PointDataset } from '../src/data/index.js';
import type { RunConfigInput } from '../src/config/schema.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';
import { runFlow } from '../src/flow/index.js';
import { flowNoise } from '../src/flow/model.js';
import { Rng } from '../src/util/rng.js';

export interface IterationOptions {
  ds?: PointDataset;
  overrides?: RunConfigInput;
  repeats: number;
  warmup: number;
  /**
   * Also report the time per step of a flow of this many steps + 1 (`flow_step_ms_median`): what
   * a step costs inside a K-step flow, where the ONNX Runtime engine builds one session per set
   * of weights (for a conv net) and its K steps share it.
   */
  stepsPerFlow?: number;
}

/** `count` random images of `image`'s shape (the CNN workloads time steps, not learning). */
export function syntheticImages(name: string, image: ImageShape, count = 256): ImageDataset {
  const dim = image.height * image.width * image.channels;
  const rng = new Rng(3);
  const pixels = Uint8Array.from(rng.uniformArray(count * dim, 0, 256), (v) => Math.min(255, Math.floor(v)));
  return makeImageDataset({ name, image, train: { count, pixels }, flip: false });
}

export const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Timing {
  median_ms: number;
  ms: number[];
  flow_ms_median?: number;
  train_ms_median?: number;
  /** With `stepsPerFlow` K: the median time per step of a (K + 1)-step flow with new weights. */
  flow_step_ms_median?: number;
  /** The largest resident set size seen after a step (MiB). */
  peak_rss_mib?: number;
  /** Process CPU time (all threads) of the same medians: iteration, 1-step flow, train step, flow step. */
  cpu_ms_median?: number;
  flow_cpu_ms_median?: number;
  train_cpu_ms_median?: number;
  flow_step_cpu_ms_median?: number;
}

/**
 * One training iteration (Trainer.step()) of a preset (paper-toy: batch 1024, K 200, MLP 64×3,
 * LSIF-χ²; toy: batch 256, K 40, LR-KL; the CNN workloads: K = 1), and the flow alone at the same
 * size for the split: train step = median iteration − median flow.
 */
export async function timeIterations(
  preset: string,
  { ds = resolveDataset('8gaussians'), overrides = { data: '8gaussians' }, repeats, warmup, stepsPerFlow }: IterationOptions,
): Promise<Timing> {
  const { config } = resolveConfig({ preset, overrides, defaults: {} });
  const tr = new Trainer(config, ds, await deriveSetup(config, ds));
  const ms: number[] = [];
  const flowMs: number[] = [];
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  const flowCpuMs: number[] = [];
  const stepCpuMs: number[] = [];
  let peak = 0;
  const rng = new Rng(1);
  const cpuNow = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  let flowCpu = 0;
  const flowAlone = async (steps: number): Promise<number> => {
    const x0 = tf.tensor2d(rng.normalArray(config.batch * ds.dim), [config.batch, ds.dim]);
    const t0 = performance.now();
    const c0 = cpuNow();
    const r = await runFlow(x0, [tr.model.ratioTerm(true)], { steps, eta: config.eta, noise: config.noise }, flowNoise(rng.nextU32(), tr.derived));
    await r.x.data();
    const t = performance.now() - t0;
    flowCpu = cpuNow() - c0;
    tf.dispose([x0, r.x]);
    return t;
  };
  for (let i = 0; i < warmup + repeats; i++) {
    const t0 = performance.now();
    const c0 = cpuNow();
    await tr.step();
    const t1 = performance.now();
    const stepCpu = cpuNow() - c0;
    // the flow alone, same size, new weights, for the split; then K more steps with the same
    // weights: (1 + K) steps of one flow, session included
    const flow = await flowAlone(config.flowSteps);
    const oneFlowCpu = flowCpu;
    const perStep = stepsPerFlow ? (flow + (await flowAlone(stepsPerFlow))) / (config.flowSteps + stepsPerFlow) : undefined;
    const perStepCpu = stepsPerFlow ? (oneFlowCpu + flowCpu) / (config.flowSteps + stepsPerFlow) : undefined;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (i >= warmup) {
      ms.push(t1 - t0);
      flowMs.push(flow);
      if (perStep !== undefined) stepMs.push(perStep);
      cpuMs.push(stepCpu);
      flowCpuMs.push(oneFlowCpu);
      if (perStepCpu !== undefined) stepCpuMs.push(perStepCpu);
    }
  }
  tr.dispose();
  const it = median(ms);
  const flow = median(flowMs);
  return {
    median_ms: it,
    ms,
    flow_ms_median: flow,
    train_ms_median: Math.max(0, it - flow),
    ...(stepMs.length ? { flow_step_ms_median: median(stepMs) } : {}),
    peak_rss_mib: peak / 2 ** 20,
    cpu_ms_median: median(cpuMs),
    flow_cpu_ms_median: median(flowCpuMs),
    train_cpu_ms_median: Math.max(0, median(cpuMs) - median(flowCpuMs)),
    ...(stepCpuMs.length ? { flow_step_cpu_ms_median: median(stepCpuMs) } : {}),
  };
}
