/** Facts about the running engine, for `dggf info`, reports and benchmarks. */
import { createRequire } from 'node:module';
import os from 'node:os';
import { tf } from './tf.js';
import { activeBackend, nodeBackendAvailable, webgpuAdapterName } from './backend.js';
import { flowThreads } from './threads.js';
import { activeEngine, ortUnavailableReason } from './engines.js';

const require = createRequire(import.meta.url);

export interface EngineInfo {
  /** The engine running flows and training steps: 'ort' (ONNX Runtime) or 'tfjs'. */
  engine: string;
  /** ONNX Runtime: its version, execution provider and intra-op threads. */
  ort?: { version: string; provider: string; threads: number };
  /** Why ONNX Runtime is not the engine, when auto passed it over. */
  ortUnavailable?: string;
  /** The TF.js backend (the rest of the library, and the tfjs engine). */
  backend: string | null;
  tfjsBackend: string;
  simd: boolean | null;
  /**
   * Threads doing tensor work: with wasm, the particle-parallel flow's threads (the main
   * thread + `flowWorkers` worker threads, each a single-threaded wasm backend); else 1.
   */
  threads: number;
  /** Worker threads the particle-parallel flow uses (wasm only; started at the first flow). */
  flowWorkers: number;
  /** Threads inside the main thread's wasm backend itself (1: Node gets the non-threaded build). */
  wasmThreads: number | null;
  node: string;
  tfjs: string;
  cpus: number;
  cpuModel: string;
  nodeBackendInstalled: boolean;
  /** The WebGPU adapter (webgpu backend only). */
  gpu?: string;
}

function version(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export async function engineInfo(): Promise<EngineInfo> {
  const backend = activeBackend();
  let simd: boolean | null = null;
  let threads = 1;
  let wasmThreads: number | null = null;
  if (backend === 'wasm') {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as {
      getThreadsCount?: () => number;
    };
    wasmThreads = wasm.getThreadsCount ? wasm.getThreadsCount() : 1;
    threads = flowThreads();
  }
  const engine = activeEngine().name;
  const ort = engine === 'ort' ? (await import('./ort/runtime.js')).runtimeInfo() : undefined;
  const why = ortUnavailableReason();
  return {
    engine,
    ...(ort ? { ort } : {}),
    ...(why ? { ortUnavailable: why } : {}),
    backend,
    tfjsBackend: tf.getBackend(),
    simd,
    threads,
    flowWorkers: threads - 1,
    wasmThreads,
    node: process.version,
    tfjs: version('@tensorflow/tfjs-core'),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    nodeBackendInstalled: nodeBackendAvailable(),
    ...(backend === 'webgpu' ? { gpu: (await webgpuAdapterName()) ?? undefined } : {}),
  };
}
