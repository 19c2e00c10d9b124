/**
 * Line charts (training curves: loss, KL estimate, lr, …) as PNG or standalone SVG. Both draw
 * the same `CurvesLayout`, computed once by `curvesLayout`. The PNG is the SVG rendered by resvg
 * with the bundled font; without resvg it is drawn with the bitmap font (`drawCurves`).
 */
import { PALETTE, COLORS, axisFraction, makeAxis, pickLegendCorner, type Axis, type Rect } from './axes.js';
import { CAP_H, textWidth } from './font.js';
import type { FontMetrics } from './font-metrics.js';
import { encodePng } from './png.js';
import { Raster, type RGB } from './raster.js';
import { esc, n2, rgb, svgOpen } from './svg.js';
import { compositeOver, svgRenderer } from './svg-render.js';

/** Text sizes for layout: width of a string and cap height, at text scale 1 (small) or 2 (title). */
export interface TextMeasure {
  width(text: string, scale: number): number;
  cap(scale: number): number;
}
/** Font size in px of SVG text at a text scale. */
export const svgFontSize = (scale: number): number => (scale >= 2 ? 15 : 11);
/** The built-in bitmap font's sizes. */
export const bitmapMeasure: TextMeasure = { width: (t, s) => textWidth(t, s), cap: (s) => CAP_H * s };
/** A real font's sizes at the SVG font sizes (DejaVu's cap height is 0.73 em). */
export function fontMeasure(m: FontMetrics): TextMeasure {
  return { width: (t, s) => m.width(t, svgFontSize(s)), cap: (s) => Math.round(0.73 * svgFontSize(s)) };
}
/** The bundled font's sizes where resvg is available, else the bitmap font's. */
function defaultMeasure(): TextMeasure {
  const r = svgRenderer();
  return r ? fontMeasure(r.metrics) : bitmapMeasure;
}

export interface Series {
  name: string;
  x: number[];
  /** Same length as x; NaN / non-finite values (or missing entries) leave gaps. */
  y: number[];
  color?: RGB;
}

export interface CurvesOptions {
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Log-scale y axis; non-positive values are left out (gaps). */
  logY?: boolean;
  /** Show a legend (default: when there are two or more series). */
  legend?: boolean;
  /** Line width in pixels (default 1.6). */
  lineWidth?: number;
}

/** A text item: (x, y) is the anchor point horizontally and the top of the capitals vertically. */
export interface TextItem {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  /** 1 = small text, 2 = title. */
  scale: number;
  color: RGB;
}

export interface LayoutSeries {
  name: string;
  color: RGB;
  /** Connected pieces in pixel coordinates: [xs, ys]. Pieces of one point are drawn as dots. */
  pieces: [number[], number[]][];
}

export interface CurvesLayout {
  width: number;
  height: number;
  plot: Rect;
  x: Axis;
  y: Axis;
  /** Tick positions in pixels (x: columns, y: rows) with their labels. */
  xTicks: { pos: number; label: string }[];
  yTicks: { pos: number; label: string }[];
  texts: TextItem[];
  series: LayoutSeries[];
  legend: { box: Rect; entries: { name: string; color: RGB; x: number; y: number }[] } | null;
  lineWidth: number;
}

/** Pixel-column decimation: keeps first, min, max and last of each run within one column. */
function decimate(xs: number[], ys: number[]): [number[], number[]] {
  if (xs.length < 64) return [xs, ys];
  const ox: number[] = [];
  const oy: number[] = [];
  let i = 0;
  while (i < xs.length) {
    const col = Math.floor(xs[i]);
    let j = i;
    let kmin = i;
    let kmax = i;
    while (j + 1 < xs.length && Math.floor(xs[j + 1]) === col) {
      j++;
      if (ys[j] < ys[kmin]) kmin = j;
      if (ys[j] > ys[kmax]) kmax = j;
    }
    const lo = kmin < kmax ? kmin : kmax;
    const hi = kmin < kmax ? kmax : kmin;
    let last = -1;
    for (const k of [i, lo, hi, j]) {
      if (k > last) {
        ox.push(xs[k]);
        oy.push(ys[k]);
        last = k;
      }
    }
    i = j + 1;
  }
  return [ox, oy];
}

/**
 * Axes, ticks, text positions, pixel polylines and legend for a chart (shared by PNG and SVG);
 * text is measured with `measure` (default: the bundled font where resvg loads).
 */
export function curvesLayout(series: Series[], opts: CurvesOptions = {}, measure: TextMeasure = defaultMeasure()): CurvesLayout {
  const textWidth = (t: string, s = 1) => measure.width(t, s);
  const cap = measure.cap(1);
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const logY = opts.logY ?? false;
  const usable = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      if (usable(s.x[i], s.y[i])) {
        xs.push(s.x[i]);
        ys.push(s.y[i]);
      }
    }
  }
  const xAxis = makeAxis(xs, { pad: 0, maxTicks: width >= 480 ? 7 : 5 });
  const yAxis = makeAxis(ys, { log: logY, pad: 0.05, maxTicks: height >= 300 ? 6 : 4 });

  const texts: TextItem[] = [];
  const top = (opts.title ? 21 + measure.cap(2) : 12) + (opts.yLabel ? cap + 7 : 0);
  const bottom = 15 + cap + (opts.xLabel ? cap + 9 : 0);
  const left = Math.ceil(Math.max(...yAxis.labels.map((s) => textWidth(s)), 6)) + 14;
  const lastX = xAxis.labels.length ? textWidth(xAxis.labels[xAxis.labels.length - 1]) : 0;
  const right = Math.max(16, Math.ceil(lastX / 2) + 4);
  const plotW = Math.max(10, width - left - right);
  const plot: Rect = { x: left, y: top, w: plotW, h: Math.max(10, height - top - bottom) };
  const px = (v: number) => plot.x + axisFraction(xAxis, v) * plot.w;
  const py = (v: number) => plot.y + plot.h - axisFraction(yAxis, v) * plot.h;

  const xTicks = xAxis.ticks.map((t, k) => ({ pos: Math.floor(px(t)), label: xAxis.labels[k] }));
  const yTicks = yAxis.ticks.map((t, k) => ({ pos: Math.floor(py(t)), label: yAxis.labels[k] }));
  for (const t of xTicks) texts.push({ x: t.pos + 0.5, y: plot.y + plot.h + 8, text: t.label, anchor: 'middle', scale: 1, color: COLORS.muted });
  for (const t of yTicks) texts.push({ x: plot.x - 7, y: t.pos - Math.floor(cap / 2), text: t.label, anchor: 'end', scale: 1, color: COLORS.muted });
  if (opts.title) texts.push({ x: width / 2, y: 9, text: opts.title, anchor: 'middle', scale: textWidth(opts.title, 2) <= width - 8 ? 2 : 1, color: COLORS.text });
  if (opts.xLabel) texts.push({ x: plot.x + plot.w / 2, y: height - 5 - cap, text: opts.xLabel, anchor: 'middle', scale: 1, color: COLORS.text });
  if (opts.yLabel) texts.push({ x: Math.max(4, plot.x - 7 - 20), y: plot.y - 9 - cap, text: opts.yLabel, anchor: 'start', scale: 1, color: COLORS.text });

  const laid: LayoutSeries[] = series.map((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const pieces: [number[], number[]][] = [];
    let cx: number[] = [];
    let cy: number[] = [];
    const n = Math.max(s.x.length, s.y.length);
    for (let i = 0; i <= n; i++) {
      const ok = i < n && usable(s.x[i], s.y[i]);
      if (ok) {
        cx.push(px(s.x[i]));
        cy.push(py(s.y[i]));
      } else if (cx.length) {
        pieces.push(decimate(cx, cy));
        cx = [];
        cy = [];
      }
    }
    return { name: s.name, color, pieces };
  });

  let legend: CurvesLayout['legend'] = null;
  const named = laid.filter((s) => s.name);
  if ((opts.legend ?? series.length > 1) && named.length) {
    const rowH = cap + 6;
    const w = Math.ceil(Math.max(...named.map((s) => textWidth(s.name)))) + 32;
    const h = named.length * rowH + 8;
    const box = pickLegendCorner(plot, w, h, (visit) => {
      for (const s of laid) for (const [a, b] of s.pieces) for (let i = 0; i < a.length; i++) visit(a[i], b[i]);
    });
    legend = { box, entries: named.map((s, i) => ({ name: s.name, color: s.color, x: box.x + 8, y: box.y + 4 + i * rowH + rowH / 2 })) };
  }
  return { width, height, plot, x: xAxis, y: yAxis, xTicks, yTicks, texts, series: laid, legend, lineWidth: opts.lineWidth ?? 1.6 };
}

/** Renders a layout (made with `bitmapMeasure`) into a new raster with the bitmap font. */
export function drawCurves(L: CurvesLayout): Raster {
  const r = new Raster(L.width, L.height);
  const { plot } = L;
  for (const t of L.xTicks) r.fillRect(t.pos, plot.y, 1, plot.h, COLORS.grid);
  for (const t of L.yTicks) r.fillRect(plot.x, t.pos, plot.w, 1, COLORS.grid);
  if (!L.y.log && L.y.min < 0 && L.y.max > 0) {
    const zy = Math.floor(plot.y + plot.h - axisFraction(L.y, 0) * plot.h);
    r.fillRect(plot.x, zy, plot.w, 1, [200, 200, 200]);
  }
  for (const s of L.series) {
    for (const [xs, ys] of s.pieces) {
      if (xs.length === 1) r.disc(xs[0], ys[0], 2.5, s.color);
      else r.polyline(xs, ys, s.color, L.lineWidth);
    }
  }
  // Clip whatever spilled over the frame, then frame and ticks.
  r.fillRect(0, 0, L.width, plot.y, COLORS.white);
  r.fillRect(0, plot.y + plot.h, L.width, L.height - plot.y - plot.h, COLORS.white);
  r.fillRect(0, plot.y, plot.x, plot.h, COLORS.white);
  r.fillRect(plot.x + plot.w, plot.y, L.width - plot.x - plot.w, plot.h, COLORS.white);
  r.strokeRect(plot.x - 1, plot.y - 1, plot.w + 2, plot.h + 2, COLORS.frame);
  for (const t of L.xTicks) r.fillRect(t.pos, plot.y + plot.h + 1, 1, 3, COLORS.frame);
  for (const t of L.yTicks) r.fillRect(plot.x - 4, t.pos, 3, 1, COLORS.frame);
  for (const t of L.texts) {
    const w = textWidth(t.text, t.scale);
    const x = t.anchor === 'start' ? t.x : t.anchor === 'middle' ? t.x - w / 2 : t.x - w;
    r.text(Math.round(x), t.y, t.text, t.color, t.scale);
  }
  if (L.legend) {
    const { box } = L.legend;
    r.fillRect(box.x, box.y, box.w, box.h, COLORS.white, 0.88);
    r.strokeRect(box.x, box.y, box.w, box.h, [210, 210, 210]);
    for (const e of L.legend.entries) {
      r.line(e.x, e.y, e.x + 16, e.y, e.color, 2);
      r.text(e.x + 22, Math.round(e.y - 3.5), e.name, COLORS.text);
    }
  }
  return r;
}

/** A line chart as PNG bytes (640 x 360 by default): the SVG through resvg, else the bitmap font. */
export function curvesPng(series: Series[], opts: CurvesOptions = {}): Buffer {
  const renderer = svgRenderer();
  if (!renderer) return encodePng(drawCurves(curvesLayout(series, opts, bitmapMeasure)));
  const img = renderer.render(curvesSvg(series, opts));
  const r = new Raster(img.width, img.height);
  compositeOver(r, img, 0, 0);
  return encodePng(r);
}

/**
 * The same chart as a standalone SVG document (real text; scales with its container via
 * viewBox). Safe to inline in HTML.
 */
export function curvesSvg(series: Series[], opts: CurvesOptions = {}): string {
  const measure = defaultMeasure();
  const L = curvesLayout(series, opts, measure);
  const { plot } = L;
  const o: string[] = [];
  o.push(svgOpen(L.width, L.height));
  if (opts.title) o.push(`<title>${esc(opts.title)}</title>`);
  o.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  const clipId = '__CLIP_ID__';
  o.push(`<defs><clipPath id="${clipId}"><rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}"/></clipPath></defs>`);
  o.push(`<g stroke="${rgb(COLORS.grid)}" stroke-width="1">`);
  for (const t of L.xTicks) o.push(`<line x1="${t.pos + 0.5}" y1="${plot.y}" x2="${t.pos + 0.5}" y2="${plot.y + plot.h}"/>`);
  for (const t of L.yTicks) o.push(`<line x1="${plot.x}" y1="${t.pos + 0.5}" x2="${plot.x + plot.w}" y2="${t.pos + 0.5}"/>`);
  o.push(`</g>`);
  if (!L.y.log && L.y.min < 0 && L.y.max > 0) {
    const zy = Math.floor(plot.y + plot.h - axisFraction(L.y, 0) * plot.h) + 0.5;
    o.push(`<line x1="${plot.x}" y1="${zy}" x2="${plot.x + plot.w}" y2="${zy}" stroke="rgb(200,200,200)"/>`);
  }
  o.push(`<g clip-path="url(#${clipId})" fill="none" stroke-width="${L.lineWidth}" stroke-linejoin="round" stroke-linecap="round">`);
  for (const s of L.series) {
    for (const [xs, ys] of s.pieces) {
      if (xs.length === 1) {
        o.push(`<circle cx="${n2(xs[0])}" cy="${n2(ys[0])}" r="2.5" fill="${rgb(s.color)}" stroke="none"/>`);
      } else {
        const d = xs.map((x, i) => `${i ? 'L' : 'M'}${n2(x)} ${n2(ys[i])}`).join('');
        o.push(`<path d="${d}" stroke="${rgb(s.color)}"/>`);
      }
    }
  }
  o.push(`</g>`);
  o.push(`<rect x="${plot.x - 0.5}" y="${plot.y - 0.5}" width="${plot.w + 1}" height="${plot.h + 1}" fill="none" stroke="${rgb(COLORS.frame)}"/>`);
  o.push(`<g stroke="${rgb(COLORS.frame)}">`);
  for (const t of L.xTicks) o.push(`<line x1="${t.pos + 0.5}" y1="${plot.y + plot.h + 1}" x2="${t.pos + 0.5}" y2="${plot.y + plot.h + 4}"/>`);
  for (const t of L.yTicks) o.push(`<line x1="${plot.x - 4}" y1="${t.pos + 0.5}" x2="${plot.x - 1}" y2="${t.pos + 0.5}"/>`);
  o.push(`</g>`);
  for (const t of L.texts) {
    o.push(
      `<text x="${n2(t.x)}" y="${n2(t.y + measure.cap(t.scale))}" font-size="${svgFontSize(t.scale)}" text-anchor="${t.anchor}" fill="${rgb(t.color)}">${esc(t.text)}</text>`,
    );
  }
  if (L.legend) {
    const { box } = L.legend;
    o.push(`<rect x="${box.x + 0.5}" y="${box.y + 0.5}" width="${box.w - 1}" height="${box.h - 1}" fill="#fff" fill-opacity="0.88" stroke="rgb(210,210,210)"/>`);
    for (const e of L.legend.entries) {
      o.push(`<line x1="${e.x}" y1="${e.y}" x2="${e.x + 16}" y2="${e.y}" stroke="${rgb(e.color)}" stroke-width="2"/>`);
      o.push(`<text x="${e.x + 22}" y="${n2(e.y + measure.cap(1) / 2)}" font-size="${svgFontSize(1)}" fill="${rgb(COLORS.text)}">${esc(e.name)}</text>`);
    }
  }
  o.push(`</svg>`);
  const svg = o.join('\n');
  // Deterministic id, distinct between different charts inlined in one page.
  let h = 0x811c9dc5;
  for (let i = 0; i < svg.length; i++) h = Math.imul(h ^ svg.charCodeAt(i), 0x01000193);
  return svg.split(clipId).join(`dggf-clip-${(h >>> 0).toString(36)}`);
}
