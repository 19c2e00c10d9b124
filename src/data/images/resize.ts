/**
 * Pixel geometry and colour: compositing RGBA on white, centre-cropping to a square, area
 * (box) resampling, and RGB ↔ grey. Intermediate values are float (0–255) so that the only
 * rounding is the final one back to bytes.
 */

/** RGBA bytes → RGB floats (0–255), alpha-composited over a white background. */
export function compositeOnWhite(rgba: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3];
    if (a === 255) {
      out[i * 3] = rgba[i * 4];
      out[i * 3 + 1] = rgba[i * 4 + 1];
      out[i * 3 + 2] = rgba[i * 4 + 2];
    } else {
      const f = a / 255;
      const bg = 255 * (1 - f);
      out[i * 3] = rgba[i * 4] * f + bg;
      out[i * 3 + 1] = rgba[i * 4 + 1] * f + bg;
      out[i * 3 + 2] = rgba[i * 4 + 2] * f + bg;
    }
  }
  return out;
}

/** The largest centred square inside a width × height image. */
export function centreSquare(width: number, height: number): { x0: number; y0: number; side: number } {
  const side = Math.min(width, height);
  return { x0: Math.floor((width - side) / 2), y0: Math.floor((height - side) / 2), side };
}

/** A rectangle [x0, x0+w) × [y0, y0+h) of an HWC float image. */
export function crop(
  src: Float32Array,
  width: number,
  channels: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
): Float32Array {
  const out = new Float32Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(src.subarray(from, from + w * channels), y * w * channels);
  }
  return out;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/** For each output cell, the input cells it overlaps and the overlap fractions (summing to 1). */
function areaTaps(srcLen: number, dstLen: number): Taps {
  const scale = srcLen / dstLen;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < dstLen; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    start[o] = index.length;
    for (let i = Math.floor(lo); i < Math.min(srcLen, Math.ceil(hi - 1e-9)); i++) {
      const w = Math.min(hi, i + 1) - Math.max(lo, i);
      if (w > 1e-9) {
        index.push(i);
        weight.push(w / scale);
      }
    }
    count[o] = index.length - start[o];
  }
  return { start, count, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/**
 * Area-average (box) resampling of an HWC float image to dstW × dstH: each output pixel is
 * the mean of the input area it covers (exact for integer factors, fractional overlaps
 * otherwise; upsampling degrades gracefully to nearest/linear-like blending).
 */
export function resizeArea(
  src: Float32Array,
  srcW: number,
  srcH: number,
  channels: number,
  dstW: number,
  dstH: number,
): Float32Array {
  if (srcW === dstW && srcH === dstH) return src.slice();
  const tx = areaTaps(srcW, dstW);
  const ty = areaTaps(srcH, dstH);
  // Horizontal pass: srcH rows × dstW columns.
  const mid = new Float32Array(srcH * dstW * channels);
  for (let y = 0; y < srcH; y++) {
    const rowIn = y * srcW * channels;
    const rowOut = y * dstW * channels;
    for (let x = 0; x < dstW; x++) {
      const s = tx.start[x];
      const e = s + tx.count[x];
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = s; k < e; k++) acc += src[rowIn + tx.index[k] * channels + c] * tx.weight[k];
        mid[rowOut + x * channels + c] = acc;
      }
    }
  }
  // Vertical pass.
  const out = new Float32Array(dstH * dstW * channels);
  const rowLen = dstW * channels;
  for (let y = 0; y < dstH; y++) {
    const s = ty.start[y];
    const e = s + ty.count[y];
    const o = y * rowLen;
    for (let k = s; k < e; k++) {
      const w = ty.weight[k];
      const r = ty.index[k] * rowLen;
      for (let j = 0; j < rowLen; j++) out[o + j] += mid[r + j] * w;
    }
  }
  return out;
}

/** Floats (0–255) → bytes, rounded and clamped. */
export function floatsToBytes(src: Float32Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i]);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/** Bytes → floats (0–255). */
export function bytesToFloats(src: Uint8Array): Float32Array {
  return Float32Array.from(src);
}

/**
 * Centre-crop an HWC float image to a square and area-resize it to size × size; `changed`
 * says whether the input was anything other than size × size already.
 */
export function squareResize(
  src: Float32Array,
  width: number,
  height: number,
  channels: number,
  size: number,
): { pixels: Float32Array; changed: boolean } {
  if (width === size && height === size) return { pixels: src, changed: false };
  const { x0, y0, side } = centreSquare(width, height);
  const sq = side === width && side === height ? src : crop(src, width, channels, x0, y0, side, side);
  return { pixels: resizeArea(sq, side, side, channels, size, size), changed: true };
}

/** RGBA image → size × size RGB bytes: composite on white, centre-crop, area-resize. */
export function rgbaToSquareRgb(
  rgba: Uint8Array,
  width: number,
  height: number,
  size: number,
): { rgb: Uint8Array; changed: boolean } {
  const { pixels, changed } = squareResize(compositeOnWhite(rgba, width, height), width, height, 3, size);
  return { rgb: floatsToBytes(pixels), changed };
}

/** Largest per-pixel channel spread max(|R−G|, |G−B|, |R−B|) of RGB bytes (0 for grey images). */
export function maxChannelSpread(rgb: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    const r = rgb[i];
    const g = rgb[i + 1];
    const b = rgb[i + 2];
    const s = Math.max(r, g, b) - Math.min(r, g, b);
    if (s > m) m = s;
  }
  return m;
}

/** RGB bytes → grey bytes (ITU-R BT.601 luma: 0.299 R + 0.587 G + 0.114 B). */
export function rgbToGray(rgb: Uint8Array, out: Uint8Array = new Uint8Array(rgb.length / 3)): Uint8Array {
  for (let i = 0, j = 0; j < out.length; i += 3, j++) {
    out[j] = Math.round(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]);
  }
  return out;
}

/** Grey bytes → RGB bytes (each value repeated three times). */
export function grayToRgb(gray: Uint8Array, out: Uint8Array = new Uint8Array(gray.length * 3)): Uint8Array {
  for (let j = 0, i = 0; j < gray.length; j++, i += 3) {
    out[i] = out[i + 1] = out[i + 2] = gray[j];
  }
  return out;
}
