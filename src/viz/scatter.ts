/**
 * Scatter plots of 2-D point sets (row-major interleaved x0, y0, x1, y1, …) with equal aspect,
 * light grid, d3 ticks, real-font labels and a legend. The frame, grid and text are SVG rendered
 * by resvg with the bundled font; the point clouds (often 10⁴ points) are drawn with the Raster's
 * anti-aliased discs between the SVG's under and over layers (resvg took 0.6 s for 20,000
 * circles here; the whole 24,000-point scatterPng takes about 60 ms of CPU this way). `scatterSvg` writes the same figure as one SVG document, points included.
 * Without resvg the bitmap-font renderer (scatter-bitmap.ts) draws it.
 */
import { COLORS, pickLegendCorner, type Rect } from './axes.js';
import type { FontMetrics } from './font-metrics.js';
import { encodePng } from './png.js';
import { Raster, type RGB } from './raster.js';
import { linearTicks } from './scale.js';
import { drawScatterBitmap } from './scatter-bitmap.js';
import {
  boundsOf,
  layerStyle,
  fitBounds,
  makeTransform,
  marker,
  type Bounds,
  type ScatterFrame,
  type ScatterLayer,
  type ScatterOptions,
} from './scatter-geometry.js';
import { n2, rgb, svgOpen, svgText } from './svg.js';
import { compositeOver, svgRenderer } from './svg-render.js';

/** Font sizes in px. */
export const TICK_FONT = 11;
export const TITLE_FONT = 14;

export interface Tick {
  /** Pixel position (x: column, y: row; continuous coordinates). */
  pos: number;
  value: number;
  label: string;
}

/** A laid-out scatter plot in its own pixel space (0, 0)–(width, height). */
export interface ScatterLayout {
  width: number;
  height: number;
  plot: Rect;
  /** The bounds shown (the requested ones widened to the plot's aspect ratio). */
  bounds: Bounds;
  toPixel(x: number, y: number): [number, number];
  xTicks: Tick[];
  yTicks: Tick[];
  /** SVG elements under the points (background, grid) and over them (frame, text, legend). */
  under: string[];
  over: string[];
  legend: Rect | null;
}

/** A crisp 1-px line position: the centre of the pixel containing `v`. */
const crisp = (v: number) => Math.floor(v) + 0.5;

/** SVG for one marker (legend swatches and the standalone SVG's points). */
function svgMarker(kind: ScatterLayer['marker'], x: number, y: number, r: number, color: RGB, alpha: number): string {
  const op = alpha < 1 ? ` fill-opacity="${n2(alpha)}"` : '';
  if (kind === 'ring') {
    const w = Math.max(1.2, r * 0.35);
    return `<circle cx="${n2(x)}" cy="${n2(y)}" r="${n2(r)}" fill="none" stroke="${rgb(color)}" stroke-width="${n2(w)}"${alpha < 1 ? ` stroke-opacity="${n2(alpha)}"` : ''}/>`;
  }
  if (kind === 'cross') {
    const w = Math.max(1.2, r * 0.4);
    const d = `M${n2(x - r)} ${n2(y - r)}L${n2(x + r)} ${n2(y + r)}M${n2(x - r)} ${n2(y + r)}L${n2(x + r)} ${n2(y - r)}`;
    return `<path d="${d}" stroke="${rgb(color)}" stroke-width="${n2(w)}" stroke-linecap="round"${alpha < 1 ? ` stroke-opacity="${n2(alpha)}"` : ''}/>`;
  }
  return `<circle cx="${n2(x)}" cy="${n2(y)}" r="${n2(r)}" fill="${rgb(color)}"${op}/>`;
}

/**
 * Lays out a width x height scatter plot of `layers` showing `bounds`: margins sized from the
 * tick labels' real widths, d3 ticks, SVG for everything but the points.
 */
export function scatterLayout(
  layers: ScatterLayer[],
  bounds: Bounds,
  width: number,
  height: number,
  metrics: FontMetrics,
  opts: ScatterOptions = {},
): ScatterLayout {
  const bg = opts.background ?? COLORS.white;
  const showAxes = opts.axes ?? true;
  const labelled = layers.filter((l) => l.label);
  const showLegend = (opts.legend ?? true) && labelled.length > 0;
  const top = opts.title || opts.titleSpace ? 28 : showAxes ? 10 : 4;
  const bottom = showAxes ? 24 : 4;
  const right = showAxes ? 12 : 4;
  // About one tick per 60 px on both axes: with equal scales, x and y then ask d3 for the same
  // data step and get the same tick spacing.
  const tickCount = (px: number) => Math.max(2, Math.round(px / 60));
  let left = 4;
  if (showAxes) {
    // Size the margin for the widest y label the final ticks can have.
    const provisional = fitBounds(bounds, width - 50, height - top - bottom);
    const labels = linearTicks(provisional.ymin, provisional.ymax, tickCount(height - top - bottom)).labels;
    left = Math.ceil(Math.max(6, ...labels.map((s) => metrics.width(s, TICK_FONT)))) + 12;
  }
  const plot: Rect = { x: left, y: top, w: Math.max(8, width - left - right), h: Math.max(8, height - top - bottom) };
  const shown = fitBounds(bounds, plot.w, plot.h);
  const toPixel = makeTransform(plot, shown);
  const xt = linearTicks(shown.xmin, shown.xmax, tickCount(plot.w));
  const yt = linearTicks(shown.ymin, shown.ymax, tickCount(plot.h));
  const xTicks = xt.values.map((v, k) => ({ pos: toPixel(v, 0)[0], value: v, label: xt.labels[k] }));
  const yTicks = yt.values.map((v, k) => ({ pos: toPixel(0, v)[1], value: v, label: yt.labels[k] }));

  const under: string[] = [`<rect width="${width}" height="${height}" fill="${rgb(bg)}"/>`];
  const over: string[] = [];
  if (showAxes) {
    const px0 = plot.x;
    const px1 = plot.x + plot.w;
    const py0 = plot.y;
    const py1 = plot.y + plot.h;
    const grid = [
      ...xTicks.map((t) => `<line x1="${crisp(t.pos)}" y1="${py0}" x2="${crisp(t.pos)}" y2="${py1}"/>`),
      ...yTicks.map((t) => `<line x1="${px0}" y1="${crisp(t.pos)}" x2="${px1}" y2="${crisp(t.pos)}"/>`),
    ];
    under.push(`<g stroke="${rgb(COLORS.grid)}" stroke-width="1">${grid.join('')}</g>`);
    const [ox, oy] = toPixel(0, 0);
    const axis: string[] = [];
    if (ox > px0 && ox < px1) axis.push(`<line x1="${crisp(ox)}" y1="${py0}" x2="${crisp(ox)}" y2="${py1}"/>`);
    if (oy > py0 && oy < py1) axis.push(`<line x1="${px0}" y1="${crisp(oy)}" x2="${px1}" y2="${crisp(oy)}"/>`);
    if (axis.length) under.push(`<g stroke="rgb(214,214,214)" stroke-width="1">${axis.join('')}</g>`);

    over.push(`<rect x="${px0 - 0.5}" y="${py0 - 0.5}" width="${plot.w + 1}" height="${plot.h + 1}" fill="none" stroke="${rgb(COLORS.frame)}"/>`);
    const marks = [
      ...xTicks.map((t) => `<line x1="${crisp(t.pos)}" y1="${py1 + 1}" x2="${crisp(t.pos)}" y2="${py1 + 5}"/>`),
      ...yTicks.map((t) => `<line x1="${px0 - 5}" y1="${crisp(t.pos)}" x2="${px0 - 1}" y2="${crisp(t.pos)}"/>`),
    ];
    over.push(`<g stroke="${rgb(COLORS.frame)}" stroke-width="1">${marks.join('')}</g>`);
    for (const t of xTicks) {
      // keep the first and last labels inside the figure
      const half = metrics.width(t.label, TICK_FONT) / 2;
      const x = Math.min(Math.max(t.pos, half + 1), width - half - 1);
      over.push(svgText(x, py1 + 17, t.label, TICK_FONT, COLORS.muted, 'middle'));
    }
    for (const t of yTicks) over.push(svgText(px0 - 8, t.pos + 4, t.label, TICK_FONT, COLORS.muted, 'end'));
  }
  if (opts.title) {
    const w = metrics.width(opts.title, TITLE_FONT);
    const size = w <= width - 8 ? TITLE_FONT : Math.max(8, Math.floor((TITLE_FONT * (width - 8)) / w));
    over.push(svgText(width / 2, 19, opts.title, size, COLORS.text, 'middle'));
  }
  let legend: Rect | null = null;
  if (showLegend) {
    const rowH = 16;
    const w = Math.ceil(Math.max(...labelled.map((l) => metrics.width(l.label!, TICK_FONT)))) + 30;
    const h = labelled.length * rowH + 6;
    legend = pickLegendCorner(plot, w, h, (visit) => {
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
    const box = legend;
    over.push(`<rect x="${box.x + 0.5}" y="${box.y + 0.5}" width="${box.w - 1}" height="${box.h - 1}" fill="#fff" fill-opacity="0.9" stroke="rgb(210,210,210)"/>`);
    labelled.forEach((l, k) => {
      const cy = box.y + 3 + k * rowH + rowH / 2;
      const kind = l.marker ?? 'disc';
      over.push(svgMarker(kind, box.x + 12, cy, kind === 'disc' ? 4 : 4.5, l.color, 1));
      over.push(svgText(box.x + 22, cy + 4, l.label!, TICK_FONT, COLORS.text));
    });
  }
  return { width, height, plot, bounds: shown, toPixel, xTicks, yTicks, under, over, legend };
}

/**
 * Draws the layers' points (later layers on top) into the raster, clipped to the plot, with the
 * layout's pixel space placed at (ox, oy) of the raster.
 */
export function drawScatterPoints(r: Raster, L: ScatterLayout, layers: ScatterLayer[], ox = 0, oy = 0): void {
  const { plot } = L;
  // A raster of the plot alone clips the discs to it.
  const sub = new Raster(plot.w, plot.h);
  const x0 = ox + plot.x;
  const y0 = oy + plot.y;
  copyRegion(r, x0, y0, sub, 0, 0, plot.w, plot.h);
  const sx = plot.w / (L.bounds.xmax - L.bounds.xmin);
  const sy = plot.h / (L.bounds.ymax - L.bounds.ymin);
  for (const layer of layers) {
    const pts = layer.points;
    const { n, rad, alpha, kind } = layerStyle(layer);
    for (let i = 0; i < n; i++) {
      const px = (pts[2 * i] - L.bounds.xmin) * sx;
      const py = plot.h - (pts[2 * i + 1] - L.bounds.ymin) * sy;
      // NaN fails every comparison, so non-finite points are skipped too.
      if (!(px >= -8 && px <= plot.w + 8 && py >= -8 && py <= plot.h + 8)) continue;
      if (kind === 'disc') sub.disc(px, py, rad, layer.color, alpha);
      else marker(sub, kind, px, py, rad, layer.color, alpha);
    }
  }
  copyRegion(sub, 0, 0, r, x0, y0, plot.w, plot.h);
}

/** Copies a w x h block of pixels between rasters (clipped to both). */
function copyRegion(src: Raster, sx: number, sy: number, dst: Raster, dx: number, dy: number, w: number, h: number): void {
  for (let j = 0; j < h; j++) {
    const ys = sy + j;
    const yd = dy + j;
    if (ys < 0 || yd < 0 || ys >= src.height || yd >= dst.height) continue;
    const i0 = Math.max(0, -sx, -dx);
    const i1 = Math.min(w, src.width - sx, dst.width - dx);
    if (i1 <= i0) continue;
    const a = (ys * src.width + sx + i0) * 4;
    dst.rgba.set(src.rgba.subarray(a, a + (i1 - i0) * 4), (yd * dst.width + dx + i0) * 4);
  }
}

/**
 * Draws a scatter plot of the layers (in order: later layers on top) inside `opts.rect` of the
 * raster, showing `bounds` (widened to the plot's aspect ratio so x and y scales are equal).
 */
export function drawScatter(r: Raster, layers: ScatterLayer[], bounds: Bounds, opts: ScatterOptions = {}): ScatterFrame {
  const renderer = svgRenderer();
  if (!renderer) return drawScatterBitmap(r, layers, bounds, opts);
  const area = opts.rect ?? { x: 0, y: 0, w: r.width, h: r.height };
  const ax = Math.round(area.x);
  const ay = Math.round(area.y);
  const L = scatterLayout(layers, bounds, Math.round(area.w), Math.round(area.h), renderer.metrics, opts);
  compositeOver(r, renderer.render(svgOpen(L.width, L.height) + L.under.join('') + '</svg>'), ax, ay);
  drawScatterPoints(r, L, layers, ax, ay);
  compositeOver(r, renderer.render(svgOpen(L.width, L.height) + L.over.join('') + '</svg>'), ax, ay);
  return {
    plot: { x: ax + L.plot.x, y: ay + L.plot.y, w: L.plot.w, h: L.plot.h },
    bounds: L.bounds,
    toPixel: (x, y) => {
      const [px, py] = L.toPixel(x, y);
      return [px + ax, py + ay];
    },
  };
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

/** One panel of `scatterPanelsPng`. */
export interface ScatterPanel {
  layers: ScatterLayer[];
  title?: string;
}

/**
 * Scatter plots side by side, each panelWidth x height (default 440 x 440), all showing the same
 * bounds (default: boundsOf every panel's points), so positions compare across panels.
 */
export function scatterPanelsPng(panels: ScatterPanel[], opts: { panelWidth?: number; height?: number; bounds?: Bounds } = {}): Buffer {
  const pw = opts.panelWidth ?? 440;
  const r = new Raster(pw * panels.length, opts.height ?? 440);
  const bounds = opts.bounds ?? boundsOf(panels.flatMap((p) => p.layers.map((l) => l.points)));
  panels.forEach((p, k) => drawScatter(r, p.layers, bounds, { rect: { x: k * pw, y: 0, w: pw, h: r.height }, title: p.title }));
  return encodePng(r);
}

/**
 * The same plot as one standalone SVG document, every point a circle (large for 10⁴ points:
 * about 50 bytes each). Needs the bundled font's metrics (`svgRenderer().metrics`, or
 * `readFontMetrics` of the font file), not resvg itself.
 */
export function scatterSvg(layers: ScatterLayer[], metrics: FontMetrics, opts: ScatterPngOptions = {}): string {
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const bounds = opts.bounds ?? boundsOf(layers.map((l) => l.points));
  const L = scatterLayout(layers, bounds, width, height, metrics, { title: opts.title, axes: opts.axes, legend: opts.legend });
  const { plot } = L;
  const o: string[] = [svgOpen(width, height), ...L.under];
  o.push(`<defs><clipPath id="plot"><rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}"/></clipPath></defs>`);
  o.push(`<g clip-path="url(#plot)">`);
  for (const layer of layers) {
    const pts = layer.points;
    const { n, rad, alpha, kind } = layerStyle(layer);
    for (let i = 0; i < n; i++) {
      const x = pts[2 * i];
      const y = pts[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const [px, py] = L.toPixel(x, y);
      o.push(svgMarker(kind, px, py, rad, layer.color, alpha));
    }
  }
  o.push('</g>', ...L.over, '</svg>');
  return o.join('\n');
}
