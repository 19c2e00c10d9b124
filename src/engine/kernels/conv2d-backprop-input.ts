/**
 * Conv2DBackpropInput (the input gradient of a conv, = conv2dTranspose) in the sub-pixel form,
 * built on the backend's fast Conv2D. wasm's own kernel is a naive loop.
 *
 * With forward stride s, filter W[kh, kw, ci, co] and top padding pt, write ih + pt = q·s + r
 * (0 ≤ r < s). Then
 *
 *   dx[b, ih, ·, ci] = Σ_j Σ_co dy[b, q − j, ·, co] · W[j·s + r, ·, ci, co],
 *
 * i.e. for every phase r a stride-1 correlation of dy with the taps W[j·s + r], j < J = ⌈fh/s⌉
 * (zeros where j·s + r ≥ fh). All s·s phases are computed by ONE stride-1 Conv2D over dy
 * (padded by J − 1 − q0 rows above, as needed below) with a rearranged, flipped filter
 * F[m, ·, co, (rh·sw + rw)·Cin + ci] = W[(J − 1 − m)·s + rh, ·, ci, co], producing s·s·Cin
 * channels; a depth-to-space with block s and a crop by the padding give dx. The filter
 * rearrangement and the depth-to-space + crop are single JS passes over the wasm heap (the
 * filter is small; the crop copies runs of sw·Cin floats, each dx element once). For stride 1 this is just the conv
 * with the flipped, transposed filter, and its output is dx as it stands.
 *
 * NHWC only; NCHW calls the backend's original kernel.
 */
import { tf } from '../tf.js';
import {
  Temporaries,
  heapF32,
  isOurs,
  kernelFuncs,
  registerOurs,
  type ExplicitPad,
  type KernelFunc,
  type TensorInfo,
  type WasmBackendLike,
} from './wasm-ops.js';

/** The rearranged, flipped filter [Jh, Jw, Cout, sh·sw·Cin] of the sub-pixel form. */
export function subPixelFilter(
  w: Float32Array,
  fh: number,
  fw: number,
  cin: number,
  cout: number,
  sh: number,
  sw: number,
  out: Float32Array,
): void {
  const jh = Math.ceil(fh / sh);
  const jw = Math.ceil(fw / sw);
  const depth = sh * sw * cin;
  let o = 0;
  for (let mh = 0; mh < jh; mh++) {
    for (let mw = 0; mw < jw; mw++) {
      for (let co = 0; co < cout; co++) {
        for (let rh = 0; rh < sh; rh++) {
          const kh = (jh - 1 - mh) * sh + rh;
          for (let rw = 0; rw < sw; rw++) {
            const kw = (jw - 1 - mw) * sw + rw;
            if (kh >= fh || kw >= fw) {
              out.fill(0, o, o + cin);
              o += cin;
              continue;
            }
            let src = (kh * fw + kw) * cin * cout + co;
            for (let ci = 0; ci < cin; ci++, src += cout) out[o++] = w[src];
          }
        }
      }
    }
  }
  if (o !== jh * jw * cout * depth) throw new Error('subPixelFilter: size mismatch');
}

export function installConv2DBackpropInput(backendName: string): boolean {
  if (isOurs('Conv2DBackpropInput', backendName)) return true;
  const original = tf.getKernel('Conv2DBackpropInput', backendName)?.kernelFunc;
  const k = kernelFuncs(backendName, ['Conv2D'] as const);
  if (!k) return false;

  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
    if (format !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      if (original) return original(args);
      throw new Error(`Conv2DBackpropInput: only NHWC float32 is supported on '${backendName}'`);
    }
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      format,
    );
    const { batchSize: batch, inHeight: H, inWidth: W, inChannels: cin, outChannels: cout } = info;
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const { top: pt, left: pl } = info.padInfo;
    const [dyH, dyW] = [dy.shape[1], dy.shape[2]];
    const jh = Math.ceil(fh / sh);
    const jw = Math.ceil(fw / sw);
    // Phase rows q that dx needs: q0h..qMaxH (q0 below J − 1 so the conv's top pad is ≥ 0).
    const q0h = Math.min(Math.floor(pt / sh), jh - 1);
    const q0w = Math.min(Math.floor(pl / sw), jw - 1);
    const qMaxH = Math.floor((H - 1 + pt) / sh);
    const qMaxW = Math.floor((W - 1 + pl) / sw);
    const explicit: ExplicitPad = [
      [0, 0],
      [jh - 1 - q0h, Math.max(0, qMaxH + 1 - dyH)],
      [jw - 1 - q0w, Math.max(0, qMaxW + 1 - dyW)],
      [0, 0],
    ];

    const wasm = backend as unknown as WasmBackendLike;
    const temps = new Temporaries(wasm);
    try {
      const depth = sh * sw * cin;
      const f = temps.add(wasm.makeOutput([jh, jw, cout, depth], 'float32'));
      subPixelFilter(heapF32(wasm, filter), fh, fw, cin, cout, sh, sw, heapF32(wasm, f));
      const z = k.Conv2D({
        inputs: { x: dy, filter: f },
        backend,
        attrs: { strides: [1, 1], dilations: [1, 1], pad: explicit, dataFormat: 'NHWC' },
      }) as TensorInfo; // [B, Zh, Zw, sh·sw·Cin]
      const [, zh, zw] = z.shape;
      if (sh === 1 && sw === 1 && q0h === pt && q0w === pl && zh === H && zw === W) return z;
      temps.add(z);
      const dx = wasm.makeOutput([batch, H, W, cin], 'float32');
      const zv = heapF32(wasm, z);
      const dxv = heapF32(wasm, dx);
      // depth-to-space + crop: dx[b, ih, iw, :] = z[b, qh − q0h, qw − q0w, (rh·sw + rw)·Cin : +Cin]
      // with ih + pt = qh·sh + rh, iw + pl = qw·sw + rw. For fixed (b, ih, qw) the sw phases
      // rw are contiguous in z and in dx: one run of (up to) sw·Cin floats.
      const qwLo = Math.floor(pl / sw);
      const qwHi = Math.floor((W - 1 + pl) / sw);
      const heap = new Float32Array(zv.buffer);
      const zBase = zv.byteOffset >> 2;
      const dxBase = dxv.byteOffset >> 2;
      const long = sw * cin >= 16; // copyWithin pays off for runs of 16 floats or more
      for (let b = 0; b < batch; b++) {
        for (let ih = 0; ih < H; ih++) {
          const qh = Math.floor((ih + pt) / sh);
          const zRow = zBase + (b * zh + (qh - q0h)) * zw * depth + (ih + pt - qh * sh) * sw * cin;
          const dxRow = dxBase + (b * H + ih) * W * cin;
          for (let qw = qwLo; qw <= qwHi; qw++) {
            const iw0 = qw * sw - pl;
            const start = Math.max(iw0, 0);
            const end = Math.min(iw0 + sw, W);
            const src = zRow + (qw - q0w) * depth + (start - iw0) * cin;
            const dst = dxRow + start * cin;
            const n = (end - start) * cin;
            if (long) heap.copyWithin(dst, src, src + n);
            else for (let i = 0; i < n; i++) heap[dst + i] = heap[src + i];
          }
        }
      }
      return dx;
    } finally {
      temps.dispose();
    }
  };
  registerOurs('Conv2DBackpropInput', backendName, kernelFunc);
  return true;
}
