/**
 * Scatter plots of 2-D point sets (row-major interleaved x0, y0, x1, y1, …) with equal aspect,
 * light grid, tick labels and a legend.
 */
import { COLORS, linearTicks, formatTicks, pickLegendCorner, type Rect } from './axes.js';
import { textWidth } from './font.js';
import { encodePng } from './png.js';
import { Raster, type RGB } from './raster.js';

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

function defaultRadius(n: number): number {
  return n > 10000 ? 1.1 : n > 3000 ? 1.4 : n > 800 ? 1.8 : 2.4;
}
function defaultAlpha(n: number): number {
  return n > 10000 ? 0.45 : n > 3000 ? 0.6 : n > 800 ? 0.75 : 0.85;
}

/** Draws one marker of a layer at pixel (px, py). */
function marker(r: Raster, kind: ScatterLayer['marker'], px: number, py: number, rad: number, color: RGB, alpha: number): void {
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

/**
 * Draws a scatter plot of the layers (in order: later layers on top) inside `opts.rect` of the
 * raster, showing `bounds` (widened to the plot's aspect ratio so x and y scales are equal).
 */
export function drawScatter(r: Raster, layers: ScatterLayer[], bounds: Bounds, opts: ScatterOptions = {}): ScatterFrame {
  const area = opts.rect ?? { x: 0, y: 0, w: r.width, h: r.height };
  const bg = opts.background ?? COLORS.white;
  const showAxes = opts.axes ?? true;
  const labelled = layers.filter((l) => l.label);
  const showLegend = (opts.legend ?? true) && labelled.length > 0;
  r.fillRect(area.x, area.y, area.w, area.h, bg);

  // Layout: tick labels left and below, title above.
  const top = opts.title ? 24 : showAxes ? 10 : 4;
  const bottom = showAxes ? 20 : 4;
  const right = showAxes ? 12 : 4;
  // Left margin from provisional y tick labels.
  let left = 4;
  if (showAxes) {
    const provisional = fitBounds(bounds, area.w - 50, area.h - top - bottom);
    // the final ticks use 5 or 7 steps over slightly different bounds: size for the widest
    const labs = [5, 6, 7].flatMap((k) => formatTicks(linearTicks(provisional.ymin, provisional.ymax, k)));
    left = Math.max(...labs.map((s) => textWidth(s)), 6) + 14;
  }
  const plot: Rect = {
    x: area.x + left,
    y: area.y + top,
    w: Math.max(8, area.w - left - right),
    h: Math.max(8, area.h - top - bottom),
  };
  const shown = fitBounds(bounds, plot.w, plot.h);
  const toPixel = makeTransform(plot, shown);

  // Grid.
  const xt = linearTicks(shown.xmin, shown.xmax, plot.w >= 360 ? 7 : 5);
  const yt = linearTicks(shown.ymin, shown.ymax, plot.h >= 360 ? 7 : 5);
  if (showAxes) {
    for (const t of xt) r.fillRect(Math.floor(toPixel(t, 0)[0]), plot.y, 1, plot.h, COLORS.grid);
    for (const t of yt) r.fillRect(plot.x, Math.floor(toPixel(0, t)[1]), plot.w, 1, COLORS.grid);
    // Stronger lines through the origin when it is inside.
    const [ox, oy] = toPixel(0, 0);
    const axisCol: RGB = [214, 214, 214];
    if (ox > plot.x && ox < plot.x + plot.w) r.fillRect(Math.floor(ox), plot.y, 1, plot.h, axisCol);
    if (oy > plot.y && oy < plot.y + plot.h) r.fillRect(plot.x, Math.floor(oy), plot.w, 1, axisCol);
  }

  // Points.
  const xlo = plot.x - 8;
  const xhi = plot.x + plot.w + 8;
  const ylo = plot.y - 8;
  const yhi = plot.y + plot.h + 8;
  const sx = plot.w / (shown.xmax - shown.xmin);
  const sy = plot.h / (shown.ymax - shown.ymin);
  const oy = plot.y + plot.h;
  for (const layer of layers) {
    const pts = layer.points;
    const n = pts.length >> 1;
    const rad = layer.radius ?? defaultRadius(n);
    const alpha = layer.alpha ?? defaultAlpha(n);
    const kind = layer.marker ?? 'disc';
    for (let i = 0; i < n; i++) {
      const px = plot.x + (pts[2 * i] - shown.xmin) * sx;
      const py = oy - (pts[2 * i + 1] - shown.ymin) * sy;
      // NaN fails every comparison below, so non-finite points are skipped too.
      if (!(px >= xlo && px <= xhi && py >= ylo && py <= yhi)) continue;
      if (kind === 'disc') r.disc(px, py, rad, layer.color, alpha);
      else marker(r, kind, px, py, rad, layer.color, alpha);
    }
  }

  // Clip: repaint the margins, then frame and labels.
  r.fillRect(area.x, area.y, area.w, plot.y - area.y, bg);
  r.fillRect(area.x, plot.y + plot.h, area.w, area.y + area.h - plot.y - plot.h, bg);
  r.fillRect(area.x, plot.y, plot.x - area.x, plot.h, bg);
  r.fillRect(plot.x + plot.w, plot.y, area.x + area.w - plot.x - plot.w, plot.h, bg);
  if (showAxes) {
    r.strokeRect(plot.x - 1, plot.y - 1, plot.w + 2, plot.h + 2, COLORS.frame);
    const xl = formatTicks(xt);
    xt.forEach((t, k) => {
      const px = Math.floor(toPixel(t, 0)[0]);
      r.fillRect(px, plot.y + plot.h + 1, 1, 3, COLORS.frame);
      const w = textWidth(xl[k]);
      const x = Math.min(Math.max(px - Math.floor(w / 2), area.x + 1), area.x + area.w - w - 1);
      r.text(x, plot.y + plot.h + 7, xl[k], COLORS.muted);
    });
    const yl = formatTicks(yt);
    yt.forEach((t, k) => {
      const py = Math.floor(toPixel(0, t)[1]);
      r.fillRect(plot.x - 4, py, 3, 1, COLORS.frame);
      r.text(plot.x - 7 - textWidth(yl[k]), py - 3, yl[k], COLORS.muted);
    });
  }
  if (opts.title) {
    const tw = textWidth(opts.title, 2);
    const tx = tw <= area.w - 8 ? area.x + Math.floor((area.w - tw) / 2) : area.x + 4;
    r.text(tx, area.y + 6, opts.title, COLORS.text, tw <= area.w - 8 ? 2 : 1);
  }

  if (showLegend) {
    const rowH = 13;
    const w = Math.max(...labelled.map((l) => textWidth(l.label!))) + 28;
    const h = labelled.length * rowH + 8;
    const box = pickLegendCorner(plot, w, h, (visit) => {
      for (const layer of layers) {
        const pts = layer.points;
        const n = pts.length >> 1;
        const stride = Math.max(1, Math.floor(n / 4000));
        for (let i = 0; i < n; i += stride) {
          const [px, py] = toPixel(pts[2 * i], pts[2 * i + 1]);
          visit(px, py);
        }
      }
    });
    r.fillRect(box.x, box.y, box.w, box.h, COLORS.white, 0.88);
    r.strokeRect(box.x, box.y, box.w, box.h, [210, 210, 210]);
    labelled.forEach((l, k) => {
      const cy = box.y + 4 + k * rowH + rowH / 2;
      const kind = l.marker ?? 'disc';
      marker(r, kind, box.x + 12, cy, kind === 'disc' ? 3.5 : 4, l.color, 1);
      r.text(box.x + 22, Math.round(cy - 3.5), l.label!, COLORS.text);
    });
  }
  return { plot, bounds: shown, toPixel };
}

export interface ScatterPngOptions {
  width?: number;
  height?: number;
  /** Default: boundsOf all layers. */
  bounds?: Bounds;
  title?: string;
  axes?: boolean;
  legend?: boolean;
}

/** A complete scatter plot as PNG bytes (512 x 512 by default). */
export function scatterPng(layers: ScatterLayer[], opts: ScatterPngOptions = {}): Buffer {
  const r = new Raster(opts.width ?? 512, opts.height ?? 512);
  const bounds = opts.bounds ?? boundsOf(layers.map((l) => l.points));
  drawScatter(r, layers, bounds, { title: opts.title, axes: opts.axes, legend: opts.legend });
  return encodePng(r);
}
