/**
 * The engine in a web page (the playground, web/): picks and starts a browser backend. It is
 * browser-safe — no node: modules, no DOM types (this file is also compiled by the Node
 * build) — and exports `tf` like ./index.js, so the page's bundler substitutes it for
 * ./index.js (web/vite.config.ts) and every library module (flow, nets, losses, trainer)
 * runs unchanged on the browser backend.
 *
 * `auto` tries, in order: WebGPU (when the browser has `navigator.gpu` and the page bundled
 * @tensorflow/tfjs-backend-webgpu), WebGL on a hardware GPU, then wasm (SIMD), then cpu. A
 * WebGL context rendered in software (SwiftShader, llvmpipe: a browser without a usable GPU)
 * is skipped under `auto` because wasm is several times faster there; ask for `webgl` to
 * use it anyway.
 */
import { tf } from './tf.js';
import '@tensorflow/tfjs-backend-webgl'; // registers 'webgl' (the Node build never loads this module)
import type { Engine } from './engine.js';
import { tfjsEngine } from './tfjs/engine.js';
import { installBatchMatMulTransposed } from './kernels/batch-matmul-transposed.js';

export * from './tf.js'; // tf and the tensor types, as ./index.js exports them
export { readAndDispose } from './read.js';
export { FusedMlp, fusedMlp } from './fused-mlp.js';
export { setFusedKernels, fusedKernelsEnabled, fusedKernelsApply } from './gemm-kernels.js';
export type { FusedNet } from './gemm-kernels.js';
export { FusedCnn, fusedCnn, fusedCnnSupports } from './fused-cnn.js';
export { LinearMap } from './linear-map.js';
export type { FusedCnnSpec, ConvLayerWeights } from './fused-cnn.js';
export type { DenseLayer, LayerGradients } from './fused-mlp.js';

export const BROWSER_BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BrowserBackendChoice = (typeof BROWSER_BACKENDS)[number];
export type BrowserBackendName = Exclude<BrowserBackendChoice, 'auto'>;

export class BrowserEngineError extends Error {}

export interface BrowserEngineOptions {
  /**
   * Where the wasm binaries are: a URL prefix, or a map from file name
   * (tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm)
   * to URL, as the page's bundler emits them.
   */
  wasmPaths?: string | Record<string, string>;
}

export interface BrowserEngineInfo {
  backend: BrowserBackendName;
  /** TF.js's name for it. */
  tfjsBackend: string;
  /** WebGL: the GPU renderer string (when the browser reveals it). */
  renderer?: string;
  /** WebGL: rendered in software. */
  software?: boolean;
  /** wasm: SIMD build in use. */
  simd?: boolean;
  /** Backends tried before this one, and why each was passed over. */
  skipped: { backend: BrowserBackendName; reason: string }[];
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;
const UNMASKED_RENDERER_WEBGL = 0x9246;

interface GlLike {
  getExtension(name: string): unknown;
  getParameter(p: number): unknown;
  RENDERER: number;
}

/** The renderer behind TF.js's WebGL context, when the browser tells. */
function webglRenderer(): string | undefined {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: GlLike } }).gpgpu?.gl;
  if (!gl) return undefined;
  const unmasked = gl.getExtension('WEBGL_debug_renderer_info') ? gl.getParameter(UNMASKED_RENDERER_WEBGL) : null;
  const r = unmasked ?? gl.getParameter(gl.RENDERER);
  return typeof r === 'string' ? r : undefined;
}

async function trySet(name: string): Promise<boolean> {
  if (!tf.findBackendFactory(name)) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function startWasm(opts: BrowserEngineOptions): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths as never);
  if (!(await trySet('wasm'))) return false;
  installBatchMatMulTransposed('wasm'); // the same replacement kernel as in Node
  return true;
}

let active: BrowserEngineInfo | null = null;

/**
 * Start a browser backend once per page (or worker). Throws BrowserEngineError when the one
 * asked for cannot start, or (`auto`) when none can.
 */
export async function initBrowserEngine(choice: string = 'auto', opts: BrowserEngineOptions = {}): Promise<BrowserEngineInfo> {
  if (!(BROWSER_BACKENDS as readonly string[]).includes(choice)) {
    throw new BrowserEngineError(`unknown backend '${choice}' (expected one of ${BROWSER_BACKENDS.join(', ')})`);
  }
  if (active && (choice === 'auto' || choice === active.backend)) return active;
  tf.enableProdMode();
  const order: BrowserBackendName[] = choice === 'auto' ? ['webgpu', 'webgl', 'wasm', 'cpu'] : [choice as BrowserBackendName];
  const skipped: BrowserEngineInfo['skipped'] = [];
  const hasGpu = Boolean((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu);
  for (const name of order) {
    const info: BrowserEngineInfo = { backend: name, tfjsBackend: name, skipped };
    if (name === 'webgpu') {
      if (!tf.findBackendFactory('webgpu')) {
        skipped.push({ backend: name, reason: 'not bundled (@tensorflow/tfjs-backend-webgpu is not installed)' });
        continue;
      }
      if (!hasGpu) {
        skipped.push({ backend: name, reason: 'this browser has no navigator.gpu' });
        continue;
      }
      if (!(await trySet('webgpu'))) {
        skipped.push({ backend: name, reason: 'no WebGPU adapter' });
        continue;
      }
    } else if (name === 'webgl') {
      if (!(await trySet('webgl'))) {
        skipped.push({ backend: name, reason: 'no WebGL context' });
        continue;
      }
      info.renderer = webglRenderer();
      info.software = info.renderer !== undefined && SOFTWARE_RENDERERS.test(info.renderer);
      if (info.software && choice === 'auto') {
        skipped.push({ backend: name, reason: `software-rendered (${info.renderer}); wasm is faster` });
        tf.removeBackend('webgl'); // frees its context; 'webgl' asked for explicitly starts it again
        continue;
      }
    } else if (name === 'wasm') {
      if (!(await startWasm(opts))) {
        skipped.push({ backend: name, reason: 'the wasm backend failed to start' });
        continue;
      }
      info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    } else if (!(await trySet('cpu'))) {
      skipped.push({ backend: name, reason: 'failed to start' });
      continue;
    }
    await tf.ready();
    info.tfjsBackend = tf.getBackend();
    active = info;
    return info;
  }
  const why = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new BrowserEngineError(`no backend could start (${why})`);
}

/** The backend started by initBrowserEngine, or null. */
export function activeBrowserBackend(): BrowserEngineInfo | null {
  return active;
}
export { tfjsOps } from './tfjs-ops.js';
export type { TensorOps, ImageDims } from './tensor-ops.js';
export { ENGINES } from './engine.js';
export type { Engine, EngineName, EngineChoice, FlowRecording, FlowResult, TrainingGradients } from './engine.js';

/** A page starts its backend with initBrowserEngine (or TF.js's own setBackend): nothing to require. */
export function requireEngine(_what: string): void {}

/** The engine of a page: TF.js on the page's backend (ONNX Runtime's Node package is not for pages). */
export function activeEngine(): Engine {
  return tfjsEngine;
}
