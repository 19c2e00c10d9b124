/**
 * Memory of a training process, for metrics.jsonl and the end-of-run line: resident set size
 * now and its peak (the OS's maxRSS: wasm heaps included; GPU memory only where it is host
 * memory, as with a software Vulkan driver), and what
 * the engine holds in tensors (a steady count across iterations means no leak).
 */
import { tf } from '../engine/index.js';

export interface MemoryUse {
  rssMb: number;
  peakRssMb: number;
  engineMb: number;
  tensors: number;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 100) / 100;

export function memoryUse(): MemoryUse {
  const m = tf.memory();
  return {
    rssMb: mb(process.memoryUsage.rss()),
    // maxRSS is in KiB
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    engineMb: mb(m.numBytes),
    tensors: m.numTensors,
  };
}
