/**
 * The flow's noise ξ_k, in a form that does not depend on how the particles are split across
 * threads. Particles are grouped in fixed chunks of `chunkRows` rows; chunk c draws from its own
 * stream `new Rng(chunkSeed(seed, c))`, which supplies that chunk's rows at every step, in
 * order. Any thread holding whole chunks (rows [c·chunkRows, …)) can therefore reproduce
 * exactly the noise a single thread would have used for them.
 */
import { Rng } from '../util/rng.js';

/** Rows per noise chunk (also the unit in which particles are split across threads). */
export const NOISE_CHUNK_ROWS = 128;

/** A well-mixed 32-bit seed for stream `chunk` of `seed` (murmur3's finaliser, twice). */
export function chunkSeed(seed: number, chunk: number): number {
  const mix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  };
  return mix((mix(seed >>> 0) + Math.imul(chunk + 1, 0x9e3779b9)) >>> 0);
}

/**
 * A seeded, chunked noise source. Plain data (seed, chunkRows), so worker threads can rebuild
 * the same streams from a message.
 */
export class FlowNoise {
  constructor(
    readonly seed: number,
    readonly chunkRows: number = NOISE_CHUNK_ROWS,
  ) {
    if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
  }

  /**
   * Noise for rows [firstRow, firstRow + rows) of a dim-wide batch: each call returns the next
   * step's standard normals (rows × dim, row-major) in one reused buffer. `firstRow` must start
   * a chunk. Calls after the first `noisySteps` return zeros (a flow's quiet last steps).
   */
  stepper(firstRow: number, rows: number, dim: number, noisySteps = Infinity): () => Float32Array {
    if (firstRow % this.chunkRows !== 0) throw new RangeError(`firstRow ${firstRow} does not start a noise chunk`);
    const buf = new Float32Array(rows * dim);
    const streams: { rng: Rng; view: Float32Array }[] = [];
    for (let r = 0; r < rows; r += this.chunkRows) {
      const end = Math.min(rows, r + this.chunkRows);
      const chunk = (firstRow + r) / this.chunkRows;
      streams.push({ rng: new Rng(chunkSeed(this.seed, chunk)), view: buf.subarray(r * dim, end * dim) });
    }
    let calls = 0;
    return () => {
      if (calls++ < noisySteps) for (const s of streams) s.rng.normalArray(s.view.length, s.view);
      else if (calls === noisySteps + 1) buf.fill(0);
      return buf;
    };
  }
}

/** How many of a flow's steps draw noise: all but its quiet last ones. */
export function noisySteps(settings: { steps: number; quietSteps?: number }): number {
  return Math.max(0, settings.steps - (settings.quietSteps ?? 0));
}
