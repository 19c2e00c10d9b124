/**
 * Float64 references, in plain loops, for the authors' nets (clear-nus/fdrl src/models.py):
 * convolutions with PyTorch's symmetric padding, post-activation BasicBlocks, SAGAN
 * self-attention in the authors' own index order (scores fᵀg, softmax over dim 1, h·β), and
 * σ(W) by power iteration. Images are NHWC; kernels [k, k, cin, cout] as our params hold them.
 */
import type { BasicResNetSpec } from '../../src/nets/basic-resnet.js';

/** An NHWC batch. */
export interface Image64 {
  data: Float64Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** Weights by name (without the net prefix), as float64. */
export type Weights64 = Map<string, Float64Array>;

export function conv64(x: Image64, kernel: Float64Array, k: number, cout: number, bias: Float64Array | null, stride: number, pad: number): Image64 {
  const ho = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const wo = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(x.n * ho * wo * cout);
  for (let b = 0; b < x.n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let co = 0; co < cout; co++) {
          let s = bias ? bias[co] : 0;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride + ky - pad;
            if (iy < 0 || iy >= x.h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride + kx - pad;
              if (ix < 0 || ix >= x.w) continue;
              for (let ci = 0; ci < x.c; ci++) s += x.data[((b * x.h + iy) * x.w + ix) * x.c + ci] * kernel[((ky * k + kx) * x.c + ci) * cout + co];
            }
          }
          out[((b * ho + oy) * wo + ox) * cout + co] = s;
        }
      }
    }
  }
  return { data: out, n: x.n, h: ho, w: wo, c: cout };
}

const map = (x: Image64, f: (v: number, i: number) => number): Image64 => ({ ...x, data: x.data.map(f) });
export const leaky64 = (x: Image64, slope = 0.2): Image64 => map(x, (v) => (v > 0 ? v : slope * v));
const add64 = (a: Image64, b: Image64): Image64 => map(a, (v, i) => v + b.data[i]);

/** The authors' Self_Attn on an NHWC batch, in their [B, C, N] index order. */
export function attention64(x: Image64, w: Weights64, name: string): Image64 {
  const inner = Math.floor(x.c / 8);
  const proj = (p: string, input: Image64, cout: number) => conv64(input, w.get(`${name}/${p}/kernel`)!, 1, cout, w.get(`${name}/${p}/bias`)!, 1, 0);
  const f = proj('key', x, inner);
  const g = proj('query', x, inner);
  const hv = proj('value', x, inner);
  const N = x.h * x.w;
  const at = (t: Image64, b: number, c: number, i: number) => t.data[(b * N + i) * t.c + c];
  const v: Image64 = { data: new Float64Array(x.n * N * inner), n: x.n, h: x.h, w: x.w, c: inner };
  for (let b = 0; b < x.n; b++) {
    // s[i, j] = Σ_c f[c, i] g[c, j]; β = softmax over i (dim 1); v[c, j] = Σ_i h[c, i] β[i, j]
    for (let j = 0; j < N; j++) {
      const s = new Float64Array(N);
      for (let i = 0; i < N; i++) for (let c = 0; c < inner; c++) s[i] += at(f, b, c, i) * at(g, b, c, j);
      const top = Math.max(...s);
      const e = s.map((z) => Math.exp(z - top));
      const total = e.reduce((p, q) => p + q, 0);
      for (let c = 0; c < inner; c++) {
        let acc = 0;
        for (let i = 0; i < N; i++) acc += at(hv, b, c, i) * (e[i] / total);
        v.data[(b * N + j) * inner + c] = acc;
      }
    }
  }
  const o = proj('out', v, x.c);
  const gamma = w.get(`${name}/gamma`)![0];
  return map(x, (val, i) => val + gamma * o.data[i]);
}

/** ResNet32x32 / 64x64 / 128x128 / 64x64Shallow's forward for a basic-resnet spec: [n] outputs. */
export function basicResNet64(spec: BasicResNetSpec, w: Weights64, x: Image64): Float64Array {
  const act = (t: Image64) => leaky64(t);
  const conv = (t: Image64, name: string, k: number, cout: number, stride: number, pad: number) => conv64(t, w.get(`${name}/kernel`)!, k, cout, null, stride, pad);
  let out = act(conv(x, 'stem', 3, spec.stem, 1, 1));
  let inPlanes = spec.stem;
  spec.stages.forEach((stage, s) => {
    // _make_layer: strides = [stride] + [1] * (num_blocks - 1)
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const name = `stage${s + 1}/block${b + 1}`;
      let r = act(conv(out, `${name}/conv1`, 3, stage.channels, stride, 1));
      r = conv(r, `${name}/conv2`, 3, stage.channels, 1, 1);
      const shortcut = stride !== 1 || inPlanes !== stage.channels ? conv(out, `${name}/shortcut`, 1, stage.channels, stride, 0) : out;
      out = act(add64(r, shortcut));
      inPlanes = stage.channels;
    }
    if (spec.attentionAfter === s + 1) out = attention64(out, w, 'attention');
  });
  // AdaptiveAvgPool2d((1, 1)) → Linear(C, 1)
  const kernel = w.get('dense/kernel')!;
  const bias = w.get('dense/bias')!;
  const result = new Float64Array(out.n);
  const pixels = out.h * out.w;
  for (let b = 0; b < out.n; b++) {
    let s = bias[0];
    for (let c = 0; c < out.c; c++) {
      let mean = 0;
      for (let p = 0; p < pixels; p++) mean += out.data[(b * pixels + p) * out.c + c];
      s += (mean / pixels) * kernel[c];
    }
    result[b] = s;
  }
  return result;
}

/** Largest singular value of a row-major [rows, cols] matrix, float64, 2,000 power rounds. */
export function sigma64(w: Float64Array | Float32Array, rows: number, cols: number): number {
  let v = new Float64Array(cols).map((_, i) => 1 + Math.cos(i));
  let s = 0;
  for (let it = 0; it < 2000; it++) {
    const u = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += w[r * cols + c] * v[c];
    const nu = Math.hypot(...u);
    const nv = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) nv[c] += w[r * cols + c] * (u[r] / nu);
    s = Math.hypot(...nv);
    v = nv.map((x) => x / s);
  }
  return s;
}
