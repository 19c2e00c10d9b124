/** Small helpers to write SVG markup: escaping, colours, numbers, text elements. */
import type { RGB } from './raster.js';
import { FONT_FAMILY } from './svg-render.js';

/** Escapes text for SVG element content and attribute values. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const rgb = (c: RGB): string => `rgb(${c[0]},${c[1]},${c[2]})`;
/** A coordinate with at most two decimals. */
export const n2 = (v: number): string => String(Math.round(v * 100) / 100);

/** The opening tag of a standalone SVG document of w x h px that uses the bundled font. */
export function svgOpen(w: number, h: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="'${FONT_FAMILY}',system-ui,sans-serif" role="img">`
  );
}

/** A text element with its baseline at y. */
export function svgText(
  x: number,
  y: number,
  text: string,
  size: number,
  color: RGB,
  anchor: 'start' | 'middle' | 'end' = 'start',
  extra = '',
): string {
  const a = anchor === 'start' ? '' : ` text-anchor="${anchor}"`;
  return `<text x="${n2(x)}" y="${n2(y)}" font-size="${size}" fill="${rgb(color)}"${a}${extra}>${esc(text)}</text>`;
}
