/** Facts about the running engine, for `dggf info`, reports and benchmarks. */
import { createRequire } from 'node:module';
import os from 'node:os';
import { tf } from './tf.js';
import { activeBackend, nodeBackendAvailable } from './backend.js';

const require = createRequire(import.meta.url);

export interface EngineInfo {
  backend: string | null;
  tfjsBackend: string;
  simd: boolean | null;
  threads: number;
  node: string;
  tfjs: string;
  cpus: number;
  cpuModel: string;
  nodeBackendInstalled: boolean;
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
  if (backend === 'wasm') {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as {
      getThreadsCount?: () => number;
    };
    threads = wasm.getThreadsCount ? wasm.getThreadsCount() : 1;
  }
  return {
    backend,
    tfjsBackend: tf.getBackend(),
    simd,
    threads,
    node: process.version,
    tfjs: version('@tensorflow/tfjs-core'),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    nodeBackendInstalled: nodeBackendAvailable(),
  };
}
