/** `dggf info`: which backend runs, with how many threads, and versions. */
import { engineInfo, initEngine, nodeBackendAvailable } from '../../engine/index.js';
import { PACKAGE_VERSION } from '../../util/version.js';
import { PARALLEL_MIN_ROWS } from '../../flow/index.js';
import { EXIT } from '../errors.js';

export async function infoCommand(o: { backend?: string; json?: boolean }): Promise<number> {
  await initEngine(o.backend);
  const info = await engineInfo();
  if (o.json) {
    process.stdout.write(JSON.stringify({ dggf: PACKAGE_VERSION, ...info }) + '\n');
    return EXIT.ok;
  }
  const lines = [
    `dggf ${PACKAGE_VERSION}`,
    `backend      ${info.backend} (TF.js backend '${info.tfjsBackend}')`,
    `SIMD         ${info.simd === null ? 'n/a' : info.simd ? 'yes' : 'no'}`,
    info.backend === 'wasm'
      ? `threads      ${info.threads} (particle-parallel flow for batches ≥ ${PARALLEL_MIN_ROWS}: main thread + ${info.threads - 1} worker${info.threads === 2 ? '' : 's'}, one wasm backend each; DGGF_THREADS to change)`
      : `threads      1 (the particle-parallel flow is for wasm; ${info.backend} runs the flow on the main thread)`,
    `TF.js        ${info.tfjs}`,
    `Node.js      ${info.node}`,
    `CPU          ${info.cpus} × ${info.cpuModel}`,
    ...(info.gpu ? [`GPU          ${info.gpu}`] : []),
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
