/** How the bench and eval scripts name the engine their figures come from. */
import type { EngineInfo } from '../src/engine/index.js';

const threadCount = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;

/** e.g. "ONNX Runtime 1.31.1 (CPU, 2 threads)" or "TF.js 4.22.0 (wasm, 2 threads)". */
export function engineLabel(info: EngineInfo): string {
  return info.ort
    ? `ONNX Runtime ${info.ort.version} (${info.ort.provider.toUpperCase()}, ${threadCount(info.ort.threads)})`
    : `TF.js ${info.tfjs} (${info.backend}, ${threadCount(info.threads)})`;
}
