/**
 * AvgPoolGrad for wasm: the stock kernel takes ~35 ms for a 2×2 pool's gradient on a
 * [128, 28, 28, 32] activation (it dominated a small ResNet's flow step after the conv
 * kernels were fixed). When the windows tile the input from the corner (stride = filter, no
 * top/left padding: the ResNet's 2×2 stride-2 'valid' pools) dx is one broadcasting wasm
 * Multiply of dy by 1/(fh·fw) (plus a zero pad for odd sizes). Otherwise a JS pass over the
 * heap, channels innermost: for other non-overlapping windows dx is written in order, one dy
 * value per element; for overlapping ones dy·(1/(fh·fw)) is scattered into each window after
 * zeroing dx. Same semantics as the cpu backend's kernel (the multiplier is 1/(fh·fw) also at padded
 * borders).
 */
import { tf } from '../tf.js';
import {
  Temporaries,
  heapF32,
  isOurs,
  kernelFuncs,
  registerOurs,
  type KernelFunc,
  type TensorInfo,
  type WasmBackendLike,
} from './wasm-ops.js';

/** For non-overlapping windows: the window covering each input row (or -1). */
function windowIndex(size: number, outSize: number, stride: number, filter: number, pad: number): Int32Array {
  const of = new Int32Array(size).fill(-1);
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < filter; k++) {
      const i = o * stride - pad + k;
      if (i >= 0 && i < size) of[i] = o;
    }
  }
  return of;
}

export function installAvgPoolGrad(backendName: string): boolean {
  if (isOurs('AvgPoolGrad', backendName)) return true;
  const original = tf.getKernel('AvgPoolGrad', backendName)?.kernelFunc;
  const k = kernelFuncs(backendName, ['Multiply', 'Reshape', 'PadV2'] as const);

  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
    );
    const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight, outWidth } = info;
    const shapeOk = dy.shape[0] === batchSize && dy.shape[1] === outHeight && dy.shape[2] === outWidth && dy.shape[3] === C;
    if (!shapeOk || dy.dtype !== 'float32') {
      if (original) return original(args);
      throw new Error(`AvgPoolGrad: unexpected dy shape ${dy.shape} on '${backendName}'`);
    }
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const mult = 1 / (fh * fw);
    const wasm = backend as unknown as WasmBackendLike;
    const tiles = sh === fh && sw === fw && top === 0 && left === 0 && outHeight * fh <= H && outWidth * fw <= W;
    if (tiles && k) {
      // Windows tile the input from the top-left corner: dx = dy·mult broadcast over each
      // window (one wasm Multiply on a 6-D view), zero-padded at the bottom/right.
      const temps = new Temporaries(wasm);
      try {
        const q = temps.add(wasm.makeOutput([1, 1, fh, 1, fw, 1], 'float32'));
        heapF32(wasm, q).fill(mult);
        const view = temps.add(
          k.Reshape({ inputs: { x: dy }, backend, attrs: { shape: [batchSize, outHeight, 1, outWidth, 1, C] } }) as TensorInfo,
        );
        const prod = temps.add(k.Multiply({ inputs: { a: view, b: q }, backend }) as TensorInfo);
        const core = k.Reshape({
          inputs: { x: prod },
          backend,
          attrs: { shape: [batchSize, outHeight * fh, outWidth * fw, C] },
        }) as TensorInfo;
        if (outHeight * fh === H && outWidth * fw === W) return core;
        temps.add(core);
        const paddings = [
          [0, 0],
          [0, H - outHeight * fh],
          [0, W - outWidth * fw],
          [0, 0],
        ];
        return k.PadV2({ inputs: { x: core }, backend, attrs: { paddings, constantValue: 0 } }) as TensorInfo;
      } finally {
        temps.dispose();
      }
    }
    const dx = wasm.makeOutput(input.shape, 'float32');
    const dxv = heapF32(wasm, dx);
    const dyv = heapF32(wasm, dy);
    if (sh >= fh && sw >= fw) {
      // Windows do not overlap: each dx element gets at most one dy value; write dx in order.
      const rowOf = windowIndex(H, outHeight, sh, fh, top);
      const colOf = windowIndex(W, outWidth, sw, fw, left);
      let o = 0;
      for (let b = 0; b < batchSize; b++) {
        for (let ih = 0; ih < H; ih++) {
          const oh = rowOf[ih];
          for (let iw = 0; iw < W; iw++, o += C) {
            const ow = colOf[iw];
            if (oh < 0 || ow < 0) {
              dxv.fill(0, o, o + C);
              continue;
            }
            const src = ((b * outHeight + oh) * outWidth + ow) * C;
            for (let c = 0; c < C; c++) dxv[o + c] = dyv[src + c] * mult;
          }
        }
      }
      return dx;
    }
    dxv.fill(0);
    let src = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        const h0 = Math.max(0, oh * sh - top);
        const h1 = Math.min(H, oh * sh - top + fh);
        for (let ow = 0; ow < outWidth; ow++, src += C) {
          const w0 = Math.max(0, ow * sw - left);
          const w1 = Math.min(W, ow * sw - left + fw);
          for (let ih = h0; ih < h1; ih++) {
            for (let iw = w0; iw < w1; iw++) {
              let o = ((b * H + ih) * W + iw) * C;
              for (let c = 0; c < C; c++) dxv[o++] += dyv[src + c] * mult;
            }
          }
        }
      }
    }
    return dx;
  };
  registerOurs('AvgPoolGrad', backendName, kernelFunc);
  return true;
}
