/**
 * Seeded, serialisable pseudo-random numbers (xoshiro128**), so that every random draw of a
 * run (weight init, prior batches, flow noise, data batches) can be replayed exactly after a
 * resume. Tensors are built from these arrays; the engine's own RNG is never used.
 */
export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      [this.s0, this.s1, this.s2, this.s3] = seed.map((v) => v >>> 0) as RngState;
    } else {
      const sm = splitmix32(Math.floor(seed) ^ 0x5bd1e995);
      this.s0 = sm();
      this.s1 = sm();
      this.s2 = sm();
      this.s3 = sm();
    }
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The full state; `new Rng(state)` continues the stream exactly. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** An independent generator derived from this one's next outputs (consumes 1 draw). */
  fork(stream: number): Rng {
    return new Rng((this.nextU32() ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() * INV_2_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** One standard normal draw (Box–Muller, no cached spare so the state says everything). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2);
  }

  /** n standard normal draws as float32 (both Box–Muller outputs used). */
  normalArray(n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    let i = 0;
    while (i < n) {
      const u1 = 1 - this.uniform();
      const u2 = this.uniform();
      const rad = Math.sqrt(-2 * Math.log(u1));
      out[i++] = rad * Math.cos(TWO_PI * u2);
      if (i < n) out[i++] = rad * Math.sin(TWO_PI * u2);
    }
    return out;
  }

  /** n draws uniform in [lo, hi) as float32. */
  uniformArray(n: number, lo = 0, hi = 1, out: Float32Array = new Float32Array(n)): Float32Array {
    const w = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + w * this.uniform();
    return out;
  }

  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
