/**
 * Text labels on raster figures (image grid row labels, flow GIF captions): the bundled font
 * through resvg, or the bitmap font where resvg is unavailable.
 */
import { textWidth } from './font.js';
import type { Raster, RGB } from './raster.js';
import { svgOpen, svgText } from './svg.js';
import { compositeOver, svgRenderer } from './svg-render.js';

export interface TextRun {
  x: number;
  /** Top of the capitals. */
  top: number;
  text: string;
  color: RGB;
}

/** Font size in px of labels drawn with the bundled font (the bitmap font's capitals are 7 px). */
export const LABEL_FONT = 11;

/** Width in px of a label as `drawTexts` draws it. */
export function labelWidth(text: string): number {
  const r = svgRenderer();
  return r ? Math.ceil(r.metrics.width(text, LABEL_FONT)) : textWidth(text);
}

/** Height in px of a label's capitals. */
export function labelCapHeight(): number {
  return svgRenderer() ? Math.round(0.73 * LABEL_FONT) : 7;
}

/** Draws the runs onto the raster (one resvg render covering them all). */
export function drawTexts(r: Raster, runs: TextRun[]): void {
  if (runs.length === 0) return;
  const renderer = svgRenderer();
  if (!renderer) {
    for (const t of runs) r.text(t.x, t.top, t.text, t.color);
    return;
  }
  const cap = labelCapHeight();
  const x0 = Math.max(0, Math.floor(Math.min(...runs.map((t) => t.x))) - 1);
  const y0 = Math.max(0, Math.floor(Math.min(...runs.map((t) => t.top))) - 3);
  const x1 = Math.min(r.width, Math.ceil(Math.max(...runs.map((t) => t.x + labelWidth(t.text)))) + 2);
  const y1 = Math.min(r.height, Math.ceil(Math.max(...runs.map((t) => t.top))) + cap + 5);
  if (x1 <= x0 || y1 <= y0) return;
  const body = runs.map((t) => svgText(t.x - x0, t.top - y0 + cap, t.text, LABEL_FONT, t.color)).join('');
  compositeOver(r, renderer.render(svgOpen(x1 - x0, y1 - y0) + body + '</svg>'), x0, y0);
}
