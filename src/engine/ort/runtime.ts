/**
 * ONNX Runtime for Node: loading it (it is a native package that may be missing or fail to
 * load on a platform), choosing the execution provider (CUDA when its provider library is
 * installed, `ONNXRUNTIME_NODE_INSTALL=cuda12`; else the CPU), the thread count, and sessions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { configuredThreads } from '../threads.js';

const require = createRequire(import.meta.url);

export type OrtModule = typeof Ort;
export const PROVIDERS = ['auto', 'cpu', 'cuda'] as const;
export type ProviderChoice = (typeof PROVIDERS)[number];
export type ProviderName = Exclude<ProviderChoice, 'auto'>;

export class OrtUnavailableError extends Error {}

let runtime: OrtModule | null = null;
let loadError: string | null = null;
let provider: ProviderName = 'cpu';
let threads = 1;

/** Where onnxruntime-node keeps its native libraries on this platform, or null. */
function binaryDir(): string | null {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** Is the CUDA execution provider installed (its library next to ONNX Runtime's)? */
export function cudaProviderInstalled(): boolean {
  const dir = binaryDir();
  return dir !== null && fs.existsSync(path.join(dir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
}

/**
 * Loads ONNX Runtime and picks the provider (`choice`, else DGGF_ORT_PROVIDER, else auto: CUDA
 * when installed) and the thread count (`threadCount`, else initEngine's or DGGF_THREADS, else
 * the available cores). Throws OrtUnavailableError, saying why, when it cannot be loaded.
 */
export async function loadRuntime(choice?: string, threadCount?: number): Promise<OrtModule> {
  const wanted = (choice ?? process.env.DGGF_ORT_PROVIDER ?? 'auto') as ProviderChoice;
  if (!PROVIDERS.includes(wanted)) {
    throw new OrtUnavailableError(`unknown ONNX Runtime provider '${wanted}' (expected one of ${PROVIDERS.join(', ')})`);
  }
  if (!runtime && !loadError) {
    try {
      const module = (await import('onnxruntime-node')) as unknown as OrtModule & { default?: OrtModule };
      runtime = module.default ?? module;
    } catch (e) {
      loadError = (e as Error).message.split('\n')[0];
    }
  }
  if (!runtime) throw new OrtUnavailableError(`onnxruntime-node could not be loaded: ${loadError}`);
  if (wanted === 'cuda' && !cudaProviderInstalled()) {
    throw new OrtUnavailableError(
      'the CUDA provider of ONNX Runtime is not installed: on a machine with CUDA 12, fetch it with ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js',
    );
  }
  provider = wanted === 'auto' ? (cudaProviderInstalled() ? 'cuda' : 'cpu') : wanted;
  threads = threadCount ?? configuredThreads() ?? os.availableParallelism();
  return runtime;
}

export function ortRuntime(): OrtModule {
  if (!runtime) throw new Error('ONNX Runtime is not loaded (initEngine first)');
  return runtime;
}

/** The provider sessions run on, and ONNX Runtime's version. */
export function runtimeInfo(): { provider: ProviderName; threads: number; version: string } {
  let version = 'unknown';
  try {
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    // not installed
  }
  return { provider, threads, version };
}

/** A session for a serialised model on the chosen provider, with `intraOpThreads` threads of its own. */
export async function createSession(model: Uint8Array, intraOpThreads: number): Promise<Ort.InferenceSession> {
  const ort = ortRuntime();
  return ort.InferenceSession.create(model, {
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // every session has its own pool; spinning pools of idle sessions would take the cores
    // from the one running
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

/** A float32 tensor over `data` (not copied). */
export function floatTensor(data: Float32Array, dims: readonly number[]): Ort.Tensor {
  return new (ortRuntime().Tensor)('float32', data, dims);
}

/** A scalar int64 tensor. */
export function int64Scalar(value: number): Ort.Tensor {
  return new (ortRuntime().Tensor)('int64', BigInt64Array.from([BigInt(value)]), []);
}
