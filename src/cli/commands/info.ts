/** `dggf info`: which backend runs, with how many threads, and versions. */
import { engineInfo, initEngine, nodeBackendAvailable } from '../../engine/index.js';
import { PACKAGE_VERSION } from '../../util/version.js';
import { PARALLEL_MIN_ROWS } from '../../engine/tfjs/parallel/pool.js';
import { EXIT } from '../errors.js';

export async function infoCommand(o: { backend?: string; engine?: string; json?: boolean }): Promise<number> {
  await initEngine(o.backend, { engine: o.engine });
  const info = await engineInfo();
  if (o.json) {
    process.stdout.write(JSON.stringify({ dggf: PACKAGE_VERSION, ...info }) + '\n');
    return EXIT.ok;
  }
  const engineLine = info.ort
    ? `engine       ort: ONNX Runtime ${info.ort.version}, ${info.ort.provider.toUpperCase()} execution provider, ${info.ort.threads} thread${info.ort.threads === 1 ? '' : 's'} ` +
      (info.ort.provider === 'cpu' ? '(batches split by particle, one single-thread session per thread; DGGF_THREADS to change)' : '(DGGF_THREADS to change)')
    : `engine       tfjs: TF.js on '${info.tfjsBackend}'${info.ortUnavailable ? ` (ONNX Runtime not used: ${info.ortUnavailable})` : ''}`;
  const lines = [
    `dggf ${PACKAGE_VERSION}`,
    engineLine,
    `backend      ${info.backend} (TF.js backend '${info.tfjsBackend}': ${info.ort ? 'priors, classifiers and metrics' : 'everything'})`,
    `SIMD         ${info.simd === null ? 'n/a' : info.simd ? 'yes' : 'no'}`,
    ...(info.ort
      ? []
      : [
          info.backend === 'wasm'
            ? `threads      ${info.threads} (particle-parallel flow for batches ≥ ${PARALLEL_MIN_ROWS}: main thread + ${info.threads - 1} worker${info.threads === 2 ? '' : 's'}, one wasm backend each; DGGF_THREADS to change)`
            : `threads      1 (the particle-parallel flow is for wasm; ${info.backend} runs the flow on the main thread)`,
        ]),
    `TF.js        ${info.tfjs}`,
    `Node.js      ${info.node}`,
    `CPU          ${info.cpus} × ${info.cpuModel}`,
    ...(info.gpu ? [`GPU          ${info.gpu}`] : []),
    '',
    'Engines: --engine or DGGF_ENGINE = auto | ort | tfjs',
    '  ort     default: ONNX Runtime (onnxruntime-node), native CPU code; CUDA when its provider is installed',
    '          (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; DGGF_ORT_PROVIDER=cpu|cuda to pick)',
    '  tfjs    TF.js on the backend below: the fallback, and the browser\'s engine',
    '',
    'Backends: --backend or DGGF_BACKEND = auto | wasm | cpu | node | webgpu',
    '  wasm    default: WebAssembly SIMD with dggf\'s replacement kernels (src/engine/)',
    `  node    native TensorFlow via @tensorflow/tfjs-node: ${nodeBackendAvailable() ? 'installed, used by auto' : 'not installed (npm install @tensorflow/tfjs-node@4.22.0; auto uses it when present)'}`,
    '  webgpu  GPUs through WebGPU (@tensorflow/tfjs-backend-webgpu; in Node the optional webgpu package (Dawn) and a Vulkan driver)',
    '  cpu     pure-JavaScript reference (about 100x slower; for tests)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
