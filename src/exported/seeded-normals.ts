/**
 * The random numbers of an export's sampler: mulberry32 uniforms and Box–Muller normals, the
 * same stream, drawn in the same order, as examples/shared/prior.mjs, so that a seed gives the
 * same samples in a browser as `node examples/tfjs/sample.mjs DIR N SEED`.
 */
export interface SeededNormals {
  /** count standard normals (pairs from one Box–Muller draw; an odd count drops the last one's partner). */
  normals(count: number): Float32Array;
  /** A uniform in [0, 1). */
  uniform(): number;
}

export function seededNormals(seed: number): SeededNormals {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normals = (count: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - uniform()));
      const a = 2 * Math.PI * uniform();
      out[i] = r * Math.cos(a);
      if (i + 1 < count) out[i + 1] = r * Math.sin(a);
    }
    return out;
  };
  return { normals, uniform };
}
