/**
 * Conv2DBackpropFilter for backends that lack it (tfjs-backend-wasm 4.22 has none, so no
 * convolutional net can train there). Built from the backend's own fast kernels, in the
 * batch↔channel-swap form:
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − pt, ow·s + kw − pl, ci] · dy[b, oh, ow, co]
 *
 * is a stride-1 convolution of xᵀ = x transposed to [Cin, H, W, B] (the batch becomes the
 * channel dimension) with the "filter" dyᵀ = dy transposed to [outH, outW, B, Cout], dilated by
 * the forward stride, with the forward padding at the top/left; its [Cin, fh, fw, Cout] output
 * transposed to [fh, fw, Cin, Cout] is dW. The bottom/right padding is whatever makes the
 * output exactly fh×fw: positive → zero rows, negative (the forward conv never reads the last
 * rows, e.g. 'valid' with a stride that does not fit) → those rows of xᵀ are sliced off.
 * Handles 'same', 'valid', explicit numbers and explicit pairs, any dimRoundingMode (the
 * actual dy shape is used) and NHWC or NCHW (only the transposes change). Conv2D's gradient
 * in tfjs-core rejects dilations > 1, so the kernel has no dilation attribute.
 *
 * For few input channels (a first layer on 1–3 channel images) the swap form mostly moves
 * data: there the kernel builds the transposed im2col matrix Pᵀ [fh·fw·Cin, B·outH·outW] in
 * one JS pass and takes dW = Pᵀ · dy (one plain BatchMatMul, dy only reshaped); see
 * `preferIm2col`. (64×28×28×1, 3×3 → 32: ~4 ms instead of ~28 ms.) The im2col path is NHWC
 * only; NCHW always takes the swap form.
 *
 * (Conv3DBackpropFilterV2 is not used: it gave wrong results for stride > 1 on wasm.)
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

let forcedPath: 'im2col' | 'swap' | undefined;

/** For tests and benchmarks: always take one path (undefined: choose per call, the default). */
export function forceConv2DBackpropFilterPath(path: 'im2col' | 'swap' | undefined): void {
  forcedPath = path;
}

/**
 * im2col + one matmul moves fh·fw·Cin values per output position; the swap form moves the
 * input and twice the output gradient (its transpose, then the conv's own filter transpose and
 * packing). The first wins for few input channels (a first layer on 1–3 channel images).
 */
function preferIm2col(info: tf.backend_util.Conv2DInfo, dyH: number, dyW: number): boolean {
  const im2col = info.filterHeight * info.filterWidth * info.inChannels * dyH * dyW;
  const swap = info.inHeight * info.inWidth * info.inChannels + 2 * dyH * dyW * info.outChannels;
  return im2col <= swap;
}

/** Pᵀ[(kh, kw, ci), (b, oh, ow)] = x[b, oh·s + kh − pt, ow·s + kw − pl, ci] (0 outside), NHWC. */
export function im2colTransposed(
  x: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  outH: number,
  outW: number,
  out: Float32Array,
): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, filterHeight: fh, filterWidth: fw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      for (let ci = 0; ci < C; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sh + kh - top;
            if (ih < 0 || ih >= H) {
              out.fill(0, o, o + outW);
              o += outW;
              continue;
            }
            const row = (b * H + ih) * W;
            for (let ow = 0; ow < outW; ow++) {
              const iw = ow * sw + kw - left;
              out[o++] = iw >= 0 && iw < W ? x[(row + iw) * C + ci] : 0;
            }
          }
        }
      }
    }
  }
}

export interface InstallOptions {
  /** Replace the backend's own kernel even when it has one. */
  force?: boolean;
}

/** Install for `backendName` when it lacks the kernel (or `force`). Returns whether ours is active. */
export function installConv2DBackpropFilter(backendName: string, opts: InstallOptions = {}): boolean {
  if (isOurs('Conv2DBackpropFilter', backendName)) return true;
  if (tf.getKernel('Conv2DBackpropFilter', backendName) && !opts.force) return false;
  const k = kernelFuncs(backendName, ['Conv2D', 'Transpose', 'Slice', 'BatchMatMul', 'Reshape'] as const);
  if (!k) return false;

  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      format,
    );
    const last = format === 'channelsLast';
    const [dyH, dyW] = last ? [dy.shape[1], dy.shape[2]] : [dy.shape[2], dy.shape[3]];
    const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const { top, left } = info.padInfo;
    // Last input row/column the forward conv reads, relative to the unpadded input.
    const bottom = filterHeight - 1 + (dyH - 1) * strideHeight - top - (inHeight - 1);
    const right = filterWidth - 1 + (dyW - 1) * strideWidth - left - (inWidth - 1);

    const wasm = backend as unknown as WasmBackendLike;
    const temps = new Temporaries(wasm);
    const im2col = forcedPath ? forcedPath === 'im2col' : preferIm2col(info, dyH, dyW);
    try {
      if (im2col && last) {
        const kk = filterHeight * filterWidth * inChannels;
        const m = batchSize * dyH * dyW;
        const pt = temps.add(wasm.makeOutput([1, kk, m], 'float32'));
        im2colTransposed(heapF32(wasm, x), info, dyH, dyW, heapF32(wasm, pt));
        const d = temps.add(k.Reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, m, info.outChannels] } }) as TensorInfo);
        const prod = temps.add(
          k.BatchMatMul({ inputs: { a: pt, b: d }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo,
        );
        return k.Reshape({ inputs: { x: prod }, backend, attrs: { shape: filterShape } }) as TensorInfo;
      }
      let xT = temps.add(
        k.Transpose({ inputs: { x }, backend, attrs: { perm: last ? [3, 1, 2, 0] : [1, 2, 3, 0] } }) as TensorInfo,
      ); // [Cin, H, W, B]
      if (bottom < 0 || right < 0) {
        const size = [inChannels, inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), batchSize];
        xT = temps.add(k.Slice({ inputs: { x: xT }, backend, attrs: { begin: [0, 0, 0, 0], size } }) as TensorInfo);
      }
      const dyT = temps.add(
        k.Transpose({ inputs: { x: dy }, backend, attrs: { perm: last ? [1, 2, 0, 3] : [2, 3, 0, 1] } }) as TensorInfo,
      ); // [outH, outW, B, Cout]
      const explicit: ExplicitPad = [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ];
      const y = temps.add(
        k.Conv2D({
          inputs: { x: xT, filter: dyT },
          backend,
          attrs: { strides: [1, 1], dilations: [strideHeight, strideWidth], pad: explicit, dataFormat: 'NHWC' },
        }) as TensorInfo,
      ); // [Cin, fh, fw, Cout]
      if (y.shape[1] !== filterHeight || y.shape[2] !== filterWidth) {
        throw new Error(`Conv2DBackpropFilter: internal shape ${y.shape} for filter ${filterShape}`);
      }
      return k.Transpose({ inputs: { x: y }, backend, attrs: { perm: [1, 2, 0, 3] } }) as TensorInfo;
    } finally {
      temps.dispose();
    }
  };
  registerOurs('Conv2DBackpropFilter', backendName, kernelFunc);
  return true;
}
