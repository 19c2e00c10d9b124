/**
 * Picks and initialises the tensor backend. Order for `auto`: `node` (tfjs-node, when the user
 * has it installed) → `wasm` (SIMD). `cpu` is the pure-JS reference and never chosen
 * automatically. Backend names users see: wasm | cpu | node | webgpu.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { tf } from './tf.js';
import { installBatchMatMulTransposed } from './kernels/batch-matmul-transposed.js';
import { installConv2DBackpropFilter } from './kernels/conv2d-backprop-filter.js';
import { installConv2DBackpropInput } from './kernels/conv2d-backprop-input.js';
import { installAvgPoolGrad } from './kernels/avg-pool-grad.js';
import { installSumLeadingAxes } from './kernels/sum-leading-axes.js';
import { installAddNGrouped } from './kernels/add-n-grouped.js';
import { configureThreads } from './threads.js';

export const BACKENDS = ['auto', 'wasm', 'cpu', 'node', 'webgpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

const require = createRequire(import.meta.url);

export class EngineError extends Error {}

function hasPackage(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Is the optional native backend installed? */
export function nodeBackendAvailable(): boolean {
  return hasPackage('@tensorflow/tfjs-node');
}

let active: BackendName | null = null;

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `start` and then removes the process-wide handlers it added: the wasm backend's
 * Emscripten glue installs 'uncaughtException' and 'unhandledRejection' handlers that rethrow,
 * which turns any error of the host program into exit code 7 with the glue's source printed.
 */
async function withoutProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const listeners = (e: (typeof PROCESS_EVENTS)[number]): Function[] => process.listeners(e as 'uncaughtException');
  const before = PROCESS_EVENTS.map((e) => new Set(listeners(e)));
  try {
    return await start();
  } finally {
    PROCESS_EVENTS.forEach((e, i) => {
      for (const l of listeners(e)) if (!before[i].has(l)) process.removeListener(e as 'uncaughtException', l as NodeJS.UncaughtExceptionListener);
    });
  }
}

async function initWasm(): Promise<void> {
  const wasm = await withoutProcessHandlers(() => import('@tensorflow/tfjs-backend-wasm'));
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
  if (!(await withoutProcessHandlers(() => tf.setBackend('wasm')))) throw new EngineError('the wasm backend failed to start');
  installBatchMatMulTransposed('wasm');
  installConv2DBackpropFilter('wasm'); // missing on tfjs-backend-wasm 4.22
  installConv2DBackpropInput('wasm'); // stock is a naive loop
  installAvgPoolGrad('wasm'); // stock: ~35 ms for a 2×2 pool gradient of [128, 28, 28, 32]
  installSumLeadingAxes('wasm'); // bias gradients; stock transposes the whole tensor first
}

async function initNode(): Promise<void> {
  if (!nodeBackendAvailable()) {
    throw new EngineError(
      "backend 'node' needs the optional package @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node@4.22.0)",
    );
  }
  await import('@tensorflow/tfjs-node' as string);
  if (!(await tf.setBackend('tensorflow'))) throw new EngineError('the node (tfjs-node) backend failed to start');
}

async function initWebgpu(): Promise<void> {
  if (!hasPackage('@tensorflow/tfjs-backend-webgpu')) {
    throw new EngineError(
      "backend 'webgpu' needs the optional packages @tensorflow/tfjs-backend-webgpu and, in Node, webgpu (Dawn): npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2",
    );
  }
  const inNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
  const hasGpuApi = Boolean((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu);
  if (!hasGpuApi && inNode && !hasPackage('webgpu')) {
    throw new EngineError("backend 'webgpu' in Node needs the optional package webgpu (Dawn): npm install webgpu@0.6.2");
  }
  if (!hasGpuApi && hasPackage('webgpu')) {
    const dawn = (await import('webgpu' as string)) as { create(o: string[]): unknown; globals: object };
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  if (!(await tf.setBackend('webgpu'))) {
    throw new EngineError(
      'the webgpu backend found no GPU adapter (in Node it needs the optional webgpu package and a Vulkan driver: a GPU\'s, or Mesa\'s lavapipe for a CPU check)',
    );
  }
  installAddNGrouped('webgpu'); // sums of more than 7 tensors exceed the default 8 storage buffers per shader
}

/** The WebGPU adapter in use, as "vendor architecture (description)", or null off webgpu. */
export async function webgpuAdapterName(): Promise<string | null> {
  if (active !== 'webgpu') return null;
  type Gpu = { requestAdapter(o?: { powerPreference?: string }): Promise<{ info?: Record<string, string> } | null> };
  const gpu = (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
  // the adapter TF.js's webgpu backend asks for
  const info = (await gpu?.requestAdapter({ powerPreference: 'high-performance' }))?.info;
  if (!info) return 'unknown adapter';
  const name = [info.vendor, info.architecture, info.device].filter((v) => v).join(' ');
  return info.description ? `${name}${name ? ' ' : ''}(${info.description})` : name || 'unknown adapter';
}

export interface EngineOptions {
  /**
   * Threads: ONNX Runtime's pool, or the TF.js engine's particle-parallel flow (main thread +
   * workers, wasm backend only); default DGGF_THREADS, else each engine's own (ONNX Runtime:
   * the available cores; TF.js: min(2, cores)). Omitted: the current setting stays.
   */
  threads?: number;
  /** The engine: 'ort' | 'tfjs' | 'auto' (default DGGF_ENGINE, else auto: ONNX Runtime where it loads). */
  engine?: string;
}

/**
 * Start the TF.js backend once per process. `choice` defaults to DGGF_BACKEND or `auto`.
 * Returns the backend in use.
 */
export async function initBackend(choice?: string, opts: EngineOptions = {}): Promise<BackendName> {
  const wanted = (choice ?? process.env.DGGF_BACKEND ?? 'auto') as BackendChoice;
  if (!BACKENDS.includes(wanted)) {
    throw new EngineError(`unknown backend '${wanted}' (expected one of ${BACKENDS.join(', ')})`);
  }
  try {
    configureThreads(opts.threads);
  } catch (e) {
    throw new EngineError((e as Error).message);
  }
  const name: BackendName = wanted === 'auto' ? (nodeBackendAvailable() ? 'node' : 'wasm') : wanted;
  if (active === name) return name;
  tf.enableProdMode();
  switch (name) {
    case 'wasm':
      await initWasm();
      break;
    case 'cpu':
      await tf.setBackend('cpu');
      break;
    case 'node':
      await initNode();
      break;
    case 'webgpu':
      await initWebgpu();
      break;
  }
  await tf.ready();
  active = name;
  return name;
}

export function activeBackend(): BackendName | null {
  return active;
}
