/**
 * What every scatter renderer shares: point layers, plot bounds with equal aspect, the data to
 * pixel mapping, default marker sizes, and markers drawn into a Raster.
 */
import type { Rect } from './axes.js';
import type { Raster, RGB } from './raster.js';

export interface Bounds {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export interface ScatterLayer {
  /** Row-major n x 2 points: x0, y0, x1, y1, … */
  points: Float32Array;
  color: RGB;
  /** Marker radius in pixels; default depends on the number of points (2.4 … 1.1). */
  radius?: number;
  /** Opacity in (0, 1]; default depends on the number of points (0.85 … 0.45). */
  alpha?: number;
  /** Shown in the legend when given. */
  label?: string;
  /** 'disc' (default), 'ring' (hollow, good for mode centres) or 'cross'. */
  marker?: 'disc' | 'ring' | 'cross';
}

export interface ScatterOptions {
  /** Region of the raster to draw into (default: all of it). Everything inside it is redrawn. */
  rect?: Rect;
  title?: string;
  /** Keep the title's row free even without a title (the flow GIF's step counter goes there). */
  titleSpace?: boolean;
  /** Draw grid lines, frame and tick labels (default true). */
  axes?: boolean;
  /** Draw a legend of labelled layers (default true when some layer has a label). */
  legend?: boolean;
  background?: RGB;
}

/** Where drawScatter put the plot, and how data coordinates map to pixels. */
export interface ScatterFrame {
  /** Pixel rectangle of the plotting area. */
  plot: Rect;
  /** The bounds actually shown (the requested ones, widened to the plot's aspect ratio). */
  bounds: Bounds;
  /** Continuous pixel coordinates of a data point (pixel i covers [i, i+1)). */
  toPixel(x: number, y: number): [number, number];
}

/**
 * A square window around all finite points of all arrays: equal x and y ranges, centred on the
 * points' bounding box, widened by `pad` times the range on each side. No points: [-1, 1]².
 */
export function boundsOf(arrays: Float32Array[], pad = 0.08): Bounds {
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const a of arrays) {
    const n = a.length >> 1;
    for (let i = 0; i < n; i++) {
      const x = a[2 * i];
      const y = a[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
  }
  if (xmin > xmax) return { xmin: -1, xmax: 1, ymin: -1, ymax: 1 };
  const cx = (xmin + xmax) / 2;
  const cy = (ymin + ymax) / 2;
  let range = Math.max(xmax - xmin, ymax - ymin);
  if (!(range > 0)) range = Math.max(Math.abs(cx), Math.abs(cy)) * 0.2 || 2;
  const half = range * (0.5 + pad);
  return { xmin: cx - half, xmax: cx + half, ymin: cy - half, ymax: cy + half };
}

/** Widens `b` (about its centre) so that its aspect ratio matches a w x h pixel area. */
export function fitBounds(b: Bounds, w: number, h: number): Bounds {
  const cx = (b.xmin + b.xmax) / 2;
  const cy = (b.ymin + b.ymax) / 2;
  let hx = (b.xmax - b.xmin) / 2;
  let hy = (b.ymax - b.ymin) / 2;
  if (!(hx > 0)) hx = 1;
  if (!(hy > 0)) hy = 1;
  const ppuX = w / (2 * hx);
  const ppuY = h / (2 * hy);
  if (ppuX > ppuY) hx = w / (2 * ppuY);
  else hy = h / (2 * ppuX);
  return { xmin: cx - hx, xmax: cx + hx, ymin: cy - hy, ymax: cy + hy };
}

/** Data -> pixel mapping for bounds shown in a plot rectangle (y up). */
export function makeTransform(plot: Rect, b: Bounds): (x: number, y: number) => [number, number] {
  const sx = plot.w / (b.xmax - b.xmin);
  const sy = plot.h / (b.ymax - b.ymin);
  return (x, y) => [plot.x + (x - b.xmin) * sx, plot.y + plot.h - (y - b.ymin) * sy];
}

/** A layer's point count and marker style, defaults filled in. */
export function layerStyle(layer: ScatterLayer): { n: number; rad: number; alpha: number; kind: NonNullable<ScatterLayer['marker']> } {
  const n = layer.points.length >> 1;
  return { n, rad: layer.radius ?? defaultRadius(n), alpha: layer.alpha ?? defaultAlpha(n), kind: layer.marker ?? 'disc' };
}

export function defaultRadius(n: number): number {
  return n > 10000 ? 1.1 : n > 3000 ? 1.4 : n > 800 ? 1.8 : 2.4;
}
export function defaultAlpha(n: number): number {
  return n > 10000 ? 0.45 : n > 3000 ? 0.6 : n > 800 ? 0.75 : 0.85;
}

/** Draws one marker of a layer at pixel (px, py). */
export function marker(r: Raster, kind: ScatterLayer['marker'], px: number, py: number, rad: number, color: RGB, alpha: number): void {
  if (kind === 'ring') {
    const lw = Math.max(1.2, rad * 0.35);
    // a ring = outer disc minus inner, drawn as a short closed polyline
    const steps = Math.max(12, Math.ceil(rad * 4));
    let x0 = px + rad;
    let y0 = py;
    for (let k = 1; k <= steps; k++) {
      const t = (2 * Math.PI * k) / steps;
      const x1 = px + rad * Math.cos(t);
      const y1 = py + rad * Math.sin(t);
      r.line(x0, y0, x1, y1, color, lw, alpha);
      x0 = x1;
      y0 = y1;
    }
  } else if (kind === 'cross') {
    const lw = Math.max(1.2, rad * 0.4);
    r.line(px - rad, py - rad, px + rad, py + rad, color, lw, alpha);
    r.line(px - rad, py + rad, px + rad, py - rad, color, lw, alpha);
  } else {
    r.disc(px, py, rad, color, alpha);
  }
}
