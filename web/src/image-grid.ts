/**
 * Drawing image samples on 2-D canvases: a grid of n images (the plot of an image run) and a
 * strip of the first images at a few steps of the flow. Values are HWC in [−1, 1] (clamped,
 * as every saved PNG is); pixels stay sharp (whole-number scales, no smoothing).
 */
import { imageToRgba } from '../../src/data/images/dataset.js';
import type { ImageShape } from '../../src/data/types.js';

/** Where the grid lies on the canvas, in canvas pixels: cell i is at (x + (i % cols)·pitch, y + ⌊i / cols⌋·pitch). */
export interface GridLayout {
  cols: number;
  rows: number;
  x: number;
  y: number;
  /** Side of one image's square (scale × the image's width). */
  cell: number;
  /** Distance between the starts of two neighbouring cells (cell + gap). */
  pitch: number;
  scale: number;
}

export const GRID_BACKGROUND = '#e9ebef';

/** Grid columns for n images: as square as the count allows. */
export function gridCols(n: number): number {
  return Math.ceil(Math.sqrt(n));
}

/** Draws image `index` of `images` onto `ctx` at (x, y), each pixel a scale×scale block. */
function drawOne(ctx: CanvasRenderingContext2D, images: Float32Array, index: number, shape: ImageShape, x: number, y: number, scale: number): void {
  const per = shape.height * shape.width * shape.channels;
  const rgba = imageToRgba(images.subarray(index * per, (index + 1) * per), shape);
  const img = new ImageData(new Uint8ClampedArray(rgba.buffer as ArrayBuffer, rgba.byteOffset, rgba.length), shape.width, shape.height);
  if (scale === 1) {
    ctx.putImageData(img, x, y);
    return;
  }
  const tile = new OffscreenCanvas(shape.width, shape.height);
  tile.getContext('2d')!.putImageData(img, 0, 0);
  ctx.drawImage(tile, x, y, shape.width * scale, shape.height * scale);
}

/** Draws the first n images of `images` as a grid filling the canvas (centred); returns where it went. */
export function drawImageGrid(canvas: HTMLCanvasElement, images: Float32Array, n: number, shape: ImageShape): GridLayout {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  const cols = gridCols(n);
  const rows = Math.ceil(n / cols);
  const gap = Math.max(2, Math.round(w / 280));
  const margin = 2 * gap;
  const scale = Math.max(1, Math.floor(Math.min((w - 2 * margin - (cols - 1) * gap) / (cols * shape.width), (h - 2 * margin - (rows - 1) * gap) / (rows * shape.height))));
  const cell = scale * shape.width;
  const pitch = cell + gap;
  const x = Math.round((w - (cols * pitch - gap)) / 2);
  const y = Math.round((h - (rows * (scale * shape.height + gap) - gap)) / 2);
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = GRID_BACKGROUND;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < n; i++) drawOne(ctx, images, i, shape, x + (i % cols) * pitch, y + Math.floor(i / cols) * (scale * shape.height + gap), scale);
  ctx.restore();
  return { cols, rows, x, y, cell, pitch, scale };
}

/**
 * The flow as a strip: one row per chosen snapshot (labelled with its step), the first `count`
 * images of each, as wide as the canvas (its height is set to fit). Snapshots are spread
 * evenly from the prior (first) to the samples (last); returns their steps.
 */
export function drawFlowStrip(canvas: HTMLCanvasElement, frames: Float32Array[], steps: number[], shape: ImageShape, count: number, rowsWanted = 6): number[] {
  const ctx = canvas.getContext('2d')!;
  const rows = Math.min(rowsWanted, frames.length);
  const picks = Array.from({ length: rows }, (_, r) => Math.round((r * (frames.length - 1)) / Math.max(1, rows - 1)));
  const s = canvas.width / 560;
  const labelW = Math.round(74 * s);
  const gap = Math.max(2, Math.round(3 * s));
  const scale = Math.max(1, Math.floor((canvas.width - labelW - count * gap) / (count * shape.width)));
  const pitchX = scale * shape.width + gap;
  const pitchY = scale * shape.height + gap;
  canvas.height = Math.max(1, rows * pitchY); // (resets the context's state)
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#444';
  ctx.font = `${Math.round(11 * s)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  picks.forEach((f, r) => {
    const y = r * pitchY;
    ctx.fillText(r === 0 ? `prior` : `step ${steps[f]}`, 4 * s, y + (scale * shape.height) / 2);
    for (let i = 0; i < count; i++) drawOne(ctx, frames[f], i, shape, labelW + i * pitchX, y, scale);
  });
  ctx.restore();
  return picks.map((f) => steps[f]);
}
