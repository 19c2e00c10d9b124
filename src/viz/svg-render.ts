/**
 * SVG -> pixels with resvg and the bundled DejaVu Sans (assets/fonts), never system fonts, so a
 * figure renders the same on every machine. `@resvg/resvg-js` is an optional dependency: where
 * it cannot load, `svgRenderer()` returns null after one warning line and the charts fall back to
 * the built-in bitmap font.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readFontMetrics, type FontMetrics } from './font-metrics.js';
import type { Raster } from './raster.js';

/** The bundled font (same relative place from src/viz and dist/viz). */
export const FONT_FILE = fileURLToPath(new URL('../../assets/fonts/DejaVuSans.ttf', import.meta.url));
/** The family name SVG text must use to get the bundled font. */
export const FONT_FAMILY = 'DejaVu Sans';
const RESVG_PACKAGE = '@resvg/resvg-js';

/** Premultiplied RGBA pixels, row-major, of an SVG rendered at its own size. */
export interface SvgPixels {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface SvgRenderer {
  render(svg: string): SvgPixels;
  /** Advance widths of the bundled font, for layout. */
  metrics: FontMetrics;
}

type ResvgModule = typeof import('@resvg/resvg-js');

let current: SvgRenderer | null | undefined;
let loadOptions: { packageName: string; warn: (line: string) => void } = {
  packageName: RESVG_PACKAGE,
  warn: (line) => process.stderr.write(line + '\n'),
};

function load(): SvgRenderer | null {
  let mod: ResvgModule;
  let metrics: FontMetrics;
  try {
    mod = createRequire(import.meta.url)(loadOptions.packageName) as ResvgModule;
    metrics = readFontMetrics(readFileSync(FONT_FILE));
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    loadOptions.warn(`dggf: figures use the built-in bitmap font: ${loadOptions.packageName} could not be loaded (${why})`);
    return null;
  }
  const font = { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
  return {
    metrics,
    render(svg: string): SvgPixels {
      const img = new mod.Resvg(svg, { font, shapeRendering: 2, textRendering: 1 }).render();
      return { width: img.width, height: img.height, pixels: img.pixels };
    },
  };
}

/** The SVG renderer, or null (after one warning line on stderr) where resvg cannot load. */
export function svgRenderer(): SvgRenderer | null {
  if (current === undefined) current = load();
  return current;
}

/**
 * Forgets the loaded renderer; the next `svgRenderer()` loads `packageName` (default the real
 * one) and reports a failure through `warn`. For tests of the fallback.
 */
export function resetSvgRenderer(opts: { packageName?: string; warn?: (line: string) => void } = {}): void {
  current = undefined;
  loadOptions = {
    packageName: opts.packageName ?? RESVG_PACKAGE,
    warn: opts.warn ?? ((line) => process.stderr.write(line + '\n')),
  };
}

/** Composites rendered SVG pixels over the raster with their top-left corner at (x, y). */
export function compositeOver(r: Raster, img: SvgPixels, x: number, y: number, srcY = 0, rows = img.height - srcY): void {
  const d = r.rgba;
  const s = img.pixels;
  for (let j = 0; j < rows; j++) {
    const ty = y + j;
    if (ty < 0 || ty >= r.height) continue;
    for (let i = 0; i < img.width; i++) {
      const tx = x + i;
      if (tx < 0 || tx >= r.width) continue;
      const p = ((srcY + j) * img.width + i) * 4;
      const a = s[p + 3];
      if (a === 0) continue;
      const q = (ty * r.width + tx) * 4;
      const k = (255 - a) / 255;
      d[q] = s[p] + d[q] * k;
      d[q + 1] = s[p + 1] + d[q + 1] * k;
      d[q + 2] = s[p + 2] + d[q + 2] * k;
    }
  }
}
