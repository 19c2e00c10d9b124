/**
 * A small CNN (our `cnn` ratio nets: convolutions with 'same' padding, each followed by a
 * ReLU-family activation, then a flattened or mean-pooled dense head) run by our own
 * WebAssembly SIMD kernels on plain Float32Arrays: each convolution is im2col + one GEMM per
 * image (bias and activation fused into the GEMM), its input gradient one GEMM with the
 * transposed filter + col2im; the dense head is a FusedMlp. For the flow's drift (forward and
 * gradient w.r.t. the input). Training keeps TF.js: with these kernels a training block was
 * no faster (measured: 100 mnist-cpu iterations took 49 s with them, 43 s without).
 *
 * Images are HWC rows ([rows, H·W·C]) as the flow moves them. Every image is computed on its
 * own, in the same order of operations, so a row's result does not depend on its batch.
 */
import { alignBytes, ensureBytes, fusedKernelsApply, newKernels, pad4, type GemmKernels } from './gemm-kernels.js';
import { FusedMlp, type DenseLayer } from './fused-mlp.js';

/** One convolution: kernel [size, size, cin, cout] (TF.js layout), bias [cout], 'same' padding. */
export interface ConvLayerWeights {
  kernel: Float32Array;
  bias: Float32Array;
  size: number;
  stride: number;
  cin: number;
  cout: number;
}

export interface FusedCnnSpec {
  height: number;
  width: number;
  channels: number;
  convs: ConvLayerWeights[];
  /** 'flatten': the last feature map, HWC order, feeds the head; 'mean': its mean over H, W. */
  head: 'flatten' | 'mean';
  /** The head's dense layers (each hidden one followed by the activation), ending in one output. */
  dense: DenseLayer[];
}

interface ConvGeometry {
  size: number;
  stride: number;
  cin: number;
  cout: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  /** Patch length size·size·cin, and rounded up to 4 (the transposed filter's width). */
  K: number;
  Kp: number;
  /** Byte addresses: filter [K×cout], bias [cout], transposed filter [cout×Kp]. */
  w: number;
  b: number;
  wt: number;
}

/** TF.js's 'same' padding: output ⌈in/stride⌉, the total padding split with the extra at the end. */
function samePadding(inSize: number, size: number, stride: number): { out: number; before: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + size - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

/** Images per pass through the buffers (larger batches are processed in such chunks). */
const CHUNK_ROWS = 64;

/** Kernels, weights and per-chunk buffers for one CNN shape (one per shape and thread). */
class ConvWorkspace {
  readonly k: GemmKernels;
  readonly convs: ConvGeometry[];
  readonly xBuf: number;
  /** Each conv layer's activated output for the chunk: [CHUNK_ROWS × outH·outW·cout]. */
  readonly hBufs: number[];
  /** The gradient w.r.t. the last feature map for the chunk (same layout as its hBuf). */
  readonly gLast: number;
  /** One image's patches (forward) or patch gradients (backward). */
  readonly col: number;
  /** One image's gradient w.r.t. a layer's input, two of them (ping-pong). */
  readonly gImage: [number, number];
  /** The chunk's gradient w.r.t. the input images. */
  readonly dxBuf: number;
  owner: FusedCnn | null = null;

  constructor(spec: FusedCnnSpec) {
    this.k = newKernels();
    let at = alignBytes(this.k.heapBase());
    let [h, w, c] = [spec.height, spec.width, spec.channels];
    this.convs = spec.convs.map((l) => {
      const y = samePadding(h, l.size, l.stride);
      const x = samePadding(w, l.size, l.stride);
      const K = l.size * l.size * l.cin;
      const Kp = pad4(K);
      const g: ConvGeometry = {
        size: l.size,
        stride: l.stride,
        cin: c,
        cout: l.cout,
        inH: h,
        inW: w,
        outH: y.out,
        outW: x.out,
        padTop: y.before,
        padLeft: x.before,
        K,
        Kp,
        w: at,
        b: at + 4 * K * l.cout,
        wt: at + 4 * (K * l.cout + l.cout),
      };
      at = g.wt + 4 * l.cout * Kp;
      [h, w, c] = [y.out, x.out, l.cout];
      return g;
    });
    const pixels = spec.height * spec.width * spec.channels;
    this.xBuf = at;
    at += 4 * CHUNK_ROWS * pixels;
    this.hBufs = this.convs.map((g) => {
      const start = at;
      at += 4 * CHUNK_ROWS * g.outH * g.outW * g.cout;
      return start;
    });
    const last = this.convs[this.convs.length - 1];
    this.gLast = at;
    at += 4 * CHUNK_ROWS * last.outH * last.outW * last.cout;
    this.col = at;
    at += 4 * Math.max(...this.convs.map((g) => g.outH * g.outW * g.Kp));
    const widestInput = Math.max(...this.convs.map((g) => g.inH * g.inW * g.cin));
    this.gImage = [at, at + 4 * pad4(widestInput)];
    at += 8 * pad4(widestInput);
    this.dxBuf = at;
    at += 4 * CHUNK_ROWS * pixels;
    ensureBytes(this.k, at);
  }

  loadWeights(convs: ConvLayerWeights[]): void {
    const f = new Float32Array(this.k.memory.buffer);
    convs.forEach((l, i) => {
      const g = this.convs[i];
      f.set(l.kernel, g.w / 4); // [size, size, cin, cout] is already [K × cout]
      f.set(l.bias, g.b / 4);
      for (let r = 0; r < g.K; r++) for (let c = 0; c < g.cout; c++) f[g.wt / 4 + c * g.Kp + r] = l.kernel[r * g.cout + c];
    });
  }
}

const workspaces = new Map<string, ConvWorkspace>();

function shapeKey(spec: FusedCnnSpec): string {
  return [spec.height, spec.width, spec.channels, ...spec.convs.map((c) => `${c.size}/${c.stride}/${c.cin}/${c.cout}`)].join(',');
}

/** Whether the fused kernels can run this CNN (every conv's output width a multiple of 4). */
export function fusedCnnSupports(spec: Pick<FusedCnnSpec, 'convs'>): boolean {
  return spec.convs.length > 0 && spec.convs.every((c) => c.cout % 4 === 0);
}

/** The CNN on the fused kernels where they apply (see fusedCnnSupports); else null. */
export function fusedCnn(spec: FusedCnnSpec, slope: number | null): FusedCnn | null {
  if (slope === null || !fusedKernelsApply() || !fusedCnnSupports(spec)) return null;
  return new FusedCnn(spec, slope);
}

export class FusedCnn {
  private readonly spec: FusedCnnSpec;
  private readonly ws: ConvWorkspace;
  private readonly head: FusedMlp;
  private readonly slope: number;
  private readonly pixels: number;
  private readonly features: number;

  constructor(spec: FusedCnnSpec, slope: number) {
    if (!fusedCnnSupports(spec)) throw new Error('FusedCnn: every convolution needs a multiple of 4 output channels');
    let cin = spec.channels;
    spec.convs.forEach((c, i) => {
      if (c.cin !== cin) throw new Error(`FusedCnn: conv ${i} takes ${c.cin} channels, gets ${cin}`);
      if (c.kernel.length !== c.size * c.size * c.cin * c.cout || c.bias.length !== c.cout) throw new Error(`FusedCnn: conv ${i} has the wrong sizes`);
      cin = c.cout;
    });
    const key = shapeKey(spec);
    let ws = workspaces.get(key);
    if (!ws) {
      ws = new ConvWorkspace(spec);
      workspaces.set(key, ws);
    }
    this.ws = ws;
    const last = ws.convs[ws.convs.length - 1];
    this.features = spec.head === 'flatten' ? last.outH * last.outW * last.cout : last.cout;
    if (spec.dense[0]?.fanIn !== this.features) throw new Error(`FusedCnn: the head takes ${spec.dense[0]?.fanIn} features, the convolutions give ${this.features}`);
    this.spec = { ...spec, convs: spec.convs.map((c) => ({ ...c, kernel: c.kernel.slice(), bias: c.bias.slice() })) };
    this.head = new FusedMlp(spec.dense, slope);
    this.slope = slope;
    this.pixels = spec.height * spec.width * spec.channels;
  }

  private bind(): ConvWorkspace {
    if (this.ws.owner !== this) {
      this.ws.loadWeights(this.spec.convs);
      this.ws.owner = this;
    }
    return this.ws;
  }

  /** Conv stack of `rows` (≤ CHUNK_ROWS) images from x[from…]; returns the head's features [rows × F]. */
  private convForward(x: Float32Array, from: number, rows: number): Float32Array {
    const ws = this.bind();
    const { k } = ws;
    new Float32Array(k.memory.buffer, ws.xBuf, rows * this.pixels).set(x.subarray(from * this.pixels, (from + rows) * this.pixels));
    for (let b = 0; b < rows; b++) {
      let input = ws.xBuf + 4 * b * this.pixels;
      ws.convs.forEach((g, l) => {
        const outSize = g.outH * g.outW * g.cout;
        const out = ws.hBufs[l] + 4 * b * outSize;
        k.im2col(input, ws.col, g.inH, g.inW, g.cin, g.outH, g.outW, g.size, g.size, g.stride, g.stride, g.padTop, g.padLeft, g.K);
        k.gemm(ws.col, g.w, out, g.outH * g.outW, g.K, g.cout, g.b, 1, this.slope);
        input = out;
      });
    }
    const last = ws.convs[ws.convs.length - 1];
    const mapSize = last.outH * last.outW * last.cout;
    const maps = new Float32Array(k.memory.buffer, ws.hBufs[ws.convs.length - 1], rows * mapSize);
    if (this.spec.head === 'flatten') return maps.slice();
    const P = last.outH * last.outW;
    const C = last.cout;
    const pooled = new Float32Array(rows * C);
    for (let b = 0; b < rows; b++) {
      for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) pooled[b * C + c] += maps[b * mapSize + p * C + c];
      for (let c = 0; c < C; c++) pooled[b * C + c] /= P;
    }
    return pooled;
  }

  /** Net outputs for x [rows, H·W·C]: [rows]. */
  forward(x: Float32Array, rows: number): Float32Array {
    this.checkInput(x, rows);
    const out = new Float32Array(rows);
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - from);
      out.set(this.head.forward(this.convForward(x, from, n), n), from);
    }
    return out;
  }

  /** Back-propagates dL/dfeatures of the chunk in the workspace down to the input images (dxBuf). */
  private convBackward(dFeatures: Float32Array, n: number): void {
    const ws = this.bind();
    const { k } = ws;
    const L = ws.convs.length - 1;
    const last = ws.convs[L];
    const mapSize = last.outH * last.outW * last.cout;
    const gLast = new Float32Array(k.memory.buffer, ws.gLast, n * mapSize);
    if (this.spec.head === 'flatten') gLast.set(dFeatures);
    else {
      const P = last.outH * last.outW;
      const C = last.cout;
      for (let b = 0; b < n; b++) for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) gLast[b * mapSize + p * C + c] = dFeatures[b * C + c] / P;
    }
    k.maskByActivation(ws.gLast, ws.hBufs[L], n * mapSize, this.slope);
    for (let b = 0; b < n; b++) {
      let g = ws.gLast + 4 * b * mapSize;
      let ping = 0;
      for (let l = L; l >= 0; l--) {
        const c = ws.convs[l];
        const inSize = c.inH * c.inW * c.cin;
        const dst = l === 0 ? ws.dxBuf + 4 * b * this.pixels : ws.gImage[ping];
        ping ^= 1;
        k.gemm(g, c.wt, ws.col, c.outH * c.outW, c.cout, c.Kp, 0, 0, 0);
        k.zero(dst, inSize);
        k.col2im(ws.col, dst, c.inH, c.inW, c.cin, c.outH, c.outW, c.size, c.size, c.stride, c.stride, c.padTop, c.padLeft, c.Kp);
        // ⊙ act′ of the layer below's output (the images themselves have no activation)
        if (l > 0) k.maskByActivation(dst, ws.hBufs[l - 1] + 4 * b * inSize, inSize, this.slope);
        g = dst;
      }
    }
  }

  /**
   * ∇ₓ Σᵣ φ(out(xᵣ)) for x [rows, H·W·C], given dφ/dout: `slope(out, into)` fills into[r]
   * with φ′(out[r]). Returns [rows, H·W·C] (a new array).
   */
  inputGradient(x: Float32Array, rows: number, slope: (out: Float32Array, into: Float32Array) => void): Float32Array {
    this.checkInput(x, rows);
    const grad = new Float32Array(rows * this.pixels);
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - from);
      const features = this.convForward(x, from, n);
      const dFeatures = this.head.inputGradient(features, n, slope);
      // the head's workspace is separate: the conv activations are still in place
      this.convBackward(dFeatures, n);
      const ws = this.bind();
      grad.set(new Float32Array(ws.k.memory.buffer, ws.dxBuf, n * this.pixels), from * this.pixels);
    }
    return grad;
  }

  private checkInput(x: Float32Array, rows: number): void {
    if (x.length !== rows * this.pixels) throw new Error(`FusedCnn: expected ${rows}×${this.pixels} inputs, got ${x.length} values`);
  }
}
