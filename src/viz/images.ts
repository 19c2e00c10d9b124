/**
 * Pictures of image samples: one image as PNG, a grid of images (optionally with a caption
 * per row), and an animated GIF of a grid moving along the flow. Values are in [−1, 1]
 * (clamped here, as on every save), HWC row-major, 1 or 3 channels.
 */
import gifenc from 'gifenc';
import type { ImageShape } from '../data/types.js';
import { imageToRgba } from '../data/images/dataset.js';
import { Raster, type RGB } from './raster.js';
import { drawTexts, labelCapHeight, labelWidth } from './text.js';
import { encodePng } from './png.js';

/** Draws image `index` of `images` at (x0, y0), each pixel a scale×scale block. */
export function drawImage(r: Raster, images: Float32Array, index: number, shape: ImageShape, x0: number, y0: number, scale = 1): void {
  const { height, width, channels } = shape;
  const per = height * width * channels;
  const rgba = imageToRgba(images.subarray(index * per, (index + 1) * per), shape);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      for (let dy = 0; dy < scale; dy++) {
        const py = y0 + y * scale + dy;
        if (py < 0 || py >= r.height) continue;
        for (let dx = 0; dx < scale; dx++) {
          const px = x0 + x * scale + dx;
          if (px < 0 || px >= r.width) continue;
          const o = (py * r.width + px) * 4;
          r.rgba[o] = rgba[p];
          r.rgba[o + 1] = rgba[p + 1];
          r.rgba[o + 2] = rgba[p + 2];
          r.rgba[o + 3] = 255;
        }
      }
    }
  }
}

/** One image as a PNG at its own size. */
export function imagePng(images: Float32Array, index: number, shape: ImageShape): Buffer {
  const r = new Raster(shape.width, shape.height);
  drawImage(r, images, index, shape, 0, 0, 1);
  return encodePng(r);
}

export interface GridOptions {
  /** Images per row (default: ⌈√n⌉). */
  cols?: number;
  /** Pixel scale (default: 2 for ≤ 32 px images, else 1). */
  scale?: number;
  /** Gap between images in px (default 2). */
  pad?: number;
  /** A caption drawn left of each row (e.g. the class). */
  rowLabels?: string[];
}

function gridLayout(n: number, shape: ImageShape, opts: GridOptions) {
  const cols = opts.cols ?? Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const scale = opts.scale ?? (shape.width <= 32 ? 2 : 1);
  const pad = opts.pad ?? 2;
  const labelW = opts.rowLabels ? Math.max(...opts.rowLabels.map((l) => labelWidth(l))) + 8 : 0;
  const cw = shape.width * scale + pad;
  const ch = shape.height * scale + pad;
  return { cols, rows, scale, pad, labelW, cw, ch, width: labelW + cols * cw + pad, height: rows * ch + pad };
}

/** Draws the grid into a raster (white gaps). */
export function drawGrid(images: Float32Array, n: number, shape: ImageShape, opts: GridOptions = {}): Raster {
  const L = gridLayout(n, shape, opts);
  const r = new Raster(L.width, L.height, [255, 255, 255]);
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / L.cols);
    const col = i % L.cols;
    drawImage(r, images, i, shape, L.labelW + L.pad + col * L.cw, L.pad + row * L.ch, L.scale);
  }
  const cap = labelCapHeight();
  drawTexts(
    r,
    (opts.rowLabels ?? [])
      .slice(0, L.rows)
      .map((label, row) => ({ x: 4, top: L.pad + row * L.ch + Math.max(0, (L.ch - cap) >> 1), text: label, color: [40, 40, 40] as RGB })),
  );
  return r;
}

/** A grid of the first n images as a PNG. */
export function imageGridPng(images: Float32Array, n: number, shape: ImageShape, opts: GridOptions = {}): Buffer {
  return encodePng(drawGrid(images, n, shape, opts));
}

/**
 * An animated GIF of a grid along the flow: frames[k] holds the same n images at flow step
 * steps[k]. Colours are quantised per GIF from the last frame (gifenc); gray images use a
 * fixed 256-level gray palette.
 */
export function imageFlowGif(
  frames: Float32Array[],
  n: number,
  shape: ImageShape,
  /** `onFrame`: called with the frames encoded so far (progress: encoding takes seconds). */
  opts: GridOptions & { delayMs?: number; holdLastMs?: number; captions?: string[]; onFrame?: (done: number) => void } = {},
): Uint8Array {
  if (frames.length === 0) throw new RangeError('imageFlowGif needs at least one frame');
  const rasters = frames.map((f, k) => {
    const r = drawGrid(f, n, shape, opts);
    const cap = opts.captions?.[k];
    if (cap) {
      r.fillRect(0, 0, labelWidth(cap) + 6, labelCapHeight() + 6, [255, 255, 255], 0.9);
      drawTexts(r, [{ x: 3, top: 3, text: cap, color: [20, 20, 20] }]);
    }
    return r;
  });
  const { width, height } = rasters[0];
  const gray = shape.channels === 1;
  const palette = gray
    ? Array.from({ length: 256 }, (_, v) => [v, v, v])
    : gifenc.quantize(rasters[rasters.length - 1].rgba, 256, { format: 'rgb565' });
  const gif = gifenc.GIFEncoder();
  const delay = opts.delayMs ?? 80;
  rasters.forEach((r, k) => {
    let index: Uint8Array;
    if (gray) {
      index = new Uint8Array(width * height);
      for (let p = 0, q = 0; q < index.length; p += 4, q++) index[q] = r.rgba[p];
    } else {
      index = gifenc.applyPalette(r.rgba, palette, 'rgb565');
    }
    const last = k === rasters.length - 1;
    gif.writeFrame(index, width, height, {
      palette: k === 0 ? palette : undefined,
      delay: last && rasters.length > 1 ? Math.max(delay, opts.holdLastMs ?? 1500) : delay,
      repeat: 0,
    });
    opts.onFrame?.(k + 1);
  });
  gif.finish();
  return gif.bytes();
}
