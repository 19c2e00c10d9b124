/**
 * The bitmap-font scatter plot: the fallback where resvg cannot load (see svg-render.ts). Same
 * layout rules as the SVG one, drawn entirely into a Raster with the built-in 5x7 font.
 */
import { COLORS, pickLegendCorner, type Rect } from './axes.js';
import { textWidth } from './font.js';
import type { Raster, RGB } from './raster.js';
import { linearTicks } from './scale.js';
import {
  layerStyle,
  fitBounds,
  makeTransform,
  marker,
  type Bounds,
  type ScatterFrame,
  type ScatterLayer,
  type ScatterOptions,
} from './scatter-geometry.js';

/**
 * Draws a scatter plot of the layers (in order: later layers on top) inside `opts.rect` of the
 * raster, showing `bounds` (widened to the plot's aspect ratio so x and y scales are equal).
 */
export function drawScatterBitmap(r: Raster, layers: ScatterLayer[], bounds: Bounds, opts: ScatterOptions = {}): ScatterFrame {
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
    const labs = [5, 6, 7].flatMap((k) => linearTicks(provisional.ymin, provisional.ymax, k).labels);
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
  const xTicks = linearTicks(shown.xmin, shown.xmax, plot.w >= 360 ? 7 : 5);
  const yTicks = linearTicks(shown.ymin, shown.ymax, plot.h >= 360 ? 7 : 5);
  const xt = xTicks.values;
  const yt = yTicks.values;
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
    const { n, rad, alpha, kind } = layerStyle(layer);
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
    const xl = xTicks.labels;
    xt.forEach((t, k) => {
      const px = Math.floor(toPixel(t, 0)[0]);
      r.fillRect(px, plot.y + plot.h + 1, 1, 3, COLORS.frame);
      const w = textWidth(xl[k]);
      const x = Math.min(Math.max(px - Math.floor(w / 2), area.x + 1), area.x + area.w - w - 1);
      r.text(x, plot.y + plot.h + 7, xl[k], COLORS.muted);
    });
    const yl = yTicks.labels;
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
