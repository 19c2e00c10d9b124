/**
 * A dense ReLU/LeakyReLU network (an MLP ratio net) run by our own WebAssembly SIMD kernels
 * (./kernels/assembly/gemm.ts) on plain Float32Arrays, outside TF.js: one call per layer, no
 * tensors, no tape. The flow's drift of an MLP (forward, then the gradient w.r.t. the input)
 * is ~20 small TF.js kernels per step otherwise, whose fixed costs dominate at these sizes.
 *
 * Used on the CPU backends (wasm, cpu) only; GPUs keep TF.js. Every width is padded to a
 * multiple of 4 with zeros, which changes no result.
 */
import { alignBytes, copyRows, ensureBytes, fusedKernelsApply, newKernels, pad4, type GemmKernels } from './gemm-kernels.js';

/** A layer's gradients, shaped as its kernel and bias. */
export interface LayerGradients {
  kernel: Float32Array;
  bias: Float32Array;
}

/** One dense layer: kernel [fanIn, fanOut] row-major, bias [fanOut]. */
export interface DenseLayer {
  kernel: Float32Array;
  bias: Float32Array;
  fanIn: number;
  fanOut: number;
}

/**
 * The MLP as a FusedMlp when the fused kernels apply (enabled, a CPU backend, ReLU-family
 * activation given as its negative slope); otherwise null, and callers keep TF.js.
 */
export function fusedMlp(layers: DenseLayer[], slope: number | null): FusedMlp | null {
  if (slope === null || !fusedKernelsApply()) return null;
  return new FusedMlp(layers, slope);
}

interface LayerLayout {
  fanIn: number;
  fanOut: number;
  inP: number;
  outP: number;
  /** Byte addresses of kernel [inP×outP], bias [outP] and transposed kernel [outP×inP]. */
  w: number;
  b: number;
  wt: number;
  /** Byte addresses of the kernel's and the bias's gradients ([inP×outP], [outP]). */
  dw: number;
  db: number;
}

/**
 * One instance of the kernels with its memory laid out for one MLP shape: weights, their
 * gradients, and row buffers that grow with the largest batch seen. Fresh wasm memory is slow
 * to touch the first time (a new instance per training step cost more than the step), so
 * workspaces are kept, one per shape and thread, and shared by the FusedMlps of that shape:
 * each loads its own weights when it finds another's there.
 */
class Workspace {
  readonly k: GemmKernels;
  readonly layers: LayerLayout[];
  /** The FusedMlp whose weights are loaded, and whose forward pass the buffers hold (rows). */
  owner: FusedMlp | null = null;
  forwardRows = -1;
  private readonly rowsBase: number;
  capacity = 0;
  xBuf = 0;
  hBufs: number[] = [];
  gBufs: [number, number] = [0, 0];

  constructor(sizes: [number, number][]) {
    this.k = newKernels();
    let at = alignBytes(this.k.heapBase());
    this.layers = sizes.map(([fanIn, fanOut]) => {
      const inP = pad4(fanIn);
      const outP = pad4(fanOut);
      const w = at;
      const b = w + 4 * inP * outP;
      const wt = b + 4 * outP;
      const dw = wt + 4 * outP * inP;
      const db = dw + 4 * inP * outP;
      at = db + 4 * outP;
      return { fanIn, fanOut, inP, outP, w, b, wt, dw, db };
    });
    this.rowsBase = at;
    ensureBytes(this.k, at);
  }

  /** Lays out the row buffers for `rows` rows (grows only; the contents are then stale). */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const widest = Math.max(...this.layers.map((l) => Math.max(l.inP, l.outP)));
    let at = this.rowsBase;
    this.xBuf = at;
    at += 4 * rows * this.layers[0].inP;
    this.hBufs = this.layers.map((l) => {
      const start = at;
      at += 4 * rows * l.outP;
      return start;
    });
    this.gBufs = [at, at + 4 * rows * widest];
    at += 8 * rows * widest;
    ensureBytes(this.k, at);
    // the new buffers overlap the old ones: clear them, so that padding columns (which loads
    // never write) hold zeros, not a non-finite value from an earlier batch
    this.k.zero(this.rowsBase, (at - this.rowsBase) / 4);
    this.capacity = rows;
    this.forwardRows = -1;
  }

  /** Writes the kernels (and their transposes) and biases; the padding stays zero. */
  loadWeights(layers: DenseLayer[]): void {
    const f = new Float32Array(this.k.memory.buffer);
    layers.forEach((l, i) => {
      const { w, b, wt, inP, outP } = this.layers[i];
      for (let r = 0; r < l.fanIn; r++) {
        for (let c = 0; c < l.fanOut; c++) {
          const v = l.kernel[r * l.fanOut + c];
          f[w / 4 + r * outP + c] = v;
          f[wt / 4 + c * inP + r] = v;
        }
      }
      f.set(l.bias, b / 4);
    });
    this.forwardRows = -1;
  }
}

const workspaces = new Map<string, Workspace>();

function workspaceFor(sizes: [number, number][]): Workspace {
  const key = sizes.map(([i, o]) => `${i}x${o}`).join(',');
  let ws = workspaces.get(key);
  if (!ws) {
    ws = new Workspace(sizes);
    workspaces.set(key, ws);
  }
  return ws;
}

/**
 * An MLP whose hidden layers are followed by act(z) = max(z, slope·z) (slope 0: ReLU, 0.2:
 * LeakyReLU 0.2) and whose last layer has one output, with a copy of its weights taken now.
 */
export class FusedMlp {
  private readonly weights: DenseLayer[];
  private readonly ws: Workspace;
  private readonly slope: number;

  constructor(layers: DenseLayer[], slope: number) {
    if (layers.length < 1 || layers[layers.length - 1].fanOut !== 1) throw new Error('FusedMlp: the last layer must have one output');
    layers.forEach((l, i) => {
      if (l.kernel.length !== l.fanIn * l.fanOut || l.bias.length !== l.fanOut) throw new Error(`FusedMlp: layer ${i} has the wrong sizes`);
      if (i > 0 && l.fanIn !== layers[i - 1].fanOut) throw new Error(`FusedMlp: layer ${i} takes ${l.fanIn} inputs, layer ${i - 1} gives ${layers[i - 1].fanOut}`);
    });
    this.weights = layers.map((l) => ({ ...l, kernel: l.kernel.slice(), bias: l.bias.slice() }));
    this.ws = workspaceFor(layers.map((l) => [l.fanIn, l.fanOut]));
    this.slope = slope;
  }

  get inputDim(): number {
    return this.weights[0].fanIn;
  }

  /** Makes the workspace hold this net's weights and room for `rows` rows. */
  private bind(rows: number): Workspace {
    const ws = this.ws;
    ws.reserve(rows);
    if (ws.owner !== this) {
      ws.loadWeights(this.weights);
      ws.owner = this;
    }
    return ws;
  }

  /** Copies x [rows, fanIn] into the padded input buffer (padding stays zero). */
  private load(x: Float32Array, rows: number): Workspace {
    const { fanIn, inP } = this.ws.layers[0];
    if (x.length !== rows * fanIn) throw new Error(`FusedMlp: expected ${rows}×${fanIn} inputs, got ${x.length} values`);
    const ws = this.bind(rows);
    copyRows(x, fanIn, new Float32Array(ws.k.memory.buffer, ws.xBuf, rows * inP), inP, rows, fanIn);
    return ws;
  }

  /** Forward pass of the loaded rows; the output sits in column 0 of the last buffer. */
  private forwardLoaded(ws: Workspace, rows: number): void {
    const last = ws.layers.length - 1;
    let input = ws.xBuf;
    ws.layers.forEach((l, i) => {
      ws.k.gemm(input, l.w, ws.hBufs[i], rows, l.inP, l.outP, l.b, i < last ? 1 : 0, this.slope);
      input = ws.hBufs[i];
    });
    ws.forwardRows = rows;
  }

  /** Net outputs for x [rows, fanIn]: [rows]. */
  forward(x: Float32Array, rows: number): Float32Array {
    const ws = this.load(x, rows);
    this.forwardLoaded(ws, rows);
    return this.outputColumn(ws, rows);
  }

  private outputColumn(ws: Workspace, rows: number): Float32Array {
    // the last layer's buffer is [rows, 4]: the output in column 0, zeros in the padding
    const out = new Float32Array(rows);
    const f = new Float32Array(ws.k.memory.buffer, ws.hBufs[ws.layers.length - 1], rows * 4);
    for (let r = 0; r < rows; r++) out[r] = f[4 * r];
    return out;
  }

  /**
   * Back-propagates the output gradient (in the last buffer) through the layers: for `params`,
   * into each layer's kernel and bias gradients (dw, db), stopping at the first layer; else
   * down to the net's input, whose gradient's buffer address is returned.
   * g_{i−1} = (g_i · W_iᵀ) ⊙ act′ of layer i−1's output.
   */
  private backward(ws: Workspace, rows: number, params: boolean): number {
    let g = ws.hBufs[ws.layers.length - 1];
    let ping = 0;
    for (let i = ws.layers.length - 1; i >= 0; i--) {
      const l = ws.layers[i];
      const input = i > 0 ? ws.hBufs[i - 1] : ws.xBuf;
      if (params) {
        ws.k.gemmTransposedA(input, g, l.dw, rows, l.inP, l.outP, 0);
        ws.k.columnSums(g, l.db, rows, l.outP, 0);
        if (i === 0) break;
      }
      const next = ws.gBufs[ping];
      ping ^= 1;
      ws.k.gemm(g, l.wt, next, rows, l.outP, l.inP, 0, 0, 0);
      if (i > 0) ws.k.maskByActivation(next, input, rows * l.inP, this.slope);
      g = next;
    }
    return g;
  }

  /** Writes dL/dout into column 0 of the last layer's buffer (its columns 1..3 stay zero). */
  private setOutputGradient(ws: Workspace, dOut: Float32Array): void {
    ws.forwardRows = -1; // the output buffer now holds a gradient, not the output
    const lastBuf = new Float32Array(ws.k.memory.buffer, ws.hBufs[ws.layers.length - 1], dOut.length * 4);
    for (let r = 0; r < dOut.length; r++) lastBuf[4 * r] = dOut[r];
  }

  /**
   * Gradients of a loss w.r.t. every kernel and bias, given dL/dout [rows] for the rows of this
   * net's last `forward` call (whose activations the workspace must still hold). Sums over the
   * rows in order.
   */
  parameterGradients(dOut: Float32Array): LayerGradients[] {
    const ws = this.ws;
    const rows = ws.owner === this ? ws.forwardRows : -1;
    if (rows < 0 || dOut.length !== rows) {
      throw new Error(`FusedMlp: parameterGradients needs dL/dout for the rows of this net's last forward pass (${Math.max(rows, 0)}), got ${dOut.length}`);
    }
    this.setOutputGradient(ws, dOut);
    this.backward(ws, rows, true);
    const f = new Float32Array(ws.k.memory.buffer);
    return ws.layers.map((l) => {
      const kernel = new Float32Array(l.fanIn * l.fanOut);
      copyRows(f.subarray(l.dw / 4), l.outP, kernel, l.fanOut, l.fanIn, l.fanOut);
      return { kernel, bias: f.slice(l.db / 4, l.db / 4 + l.fanOut) };
    });
  }

  private readInputGradient(ws: Workspace, g: number, rows: number): Float32Array {
    const { fanIn, inP } = ws.layers[0];
    const grad = new Float32Array(rows * fanIn);
    copyRows(new Float32Array(ws.k.memory.buffer, g, rows * inP), inP, grad, fanIn, rows, fanIn);
    return grad;
  }

  /**
   * ∇ₓ Σᵣ φ(out(xᵣ)) for x [rows, fanIn], given dφ/dout: `slope(out, into)` fills into[r] with
   * φ′(out[r]). Returns [rows, fanIn] (a new array).
   */
  inputGradient(x: Float32Array, rows: number, slope: (out: Float32Array, into: Float32Array) => void): Float32Array {
    const ws = this.load(x, rows);
    this.forwardLoaded(ws, rows);
    const out = this.outputColumn(ws, rows);
    const coef = new Float32Array(rows);
    slope(out, coef);
    this.setOutputGradient(ws, coef);
    return this.readInputGradient(ws, this.backward(ws, rows, false), rows);
  }
}
