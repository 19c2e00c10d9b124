/**
 * Animated GIF of particles moving along a flow: one frame per 2-D point set, the data drawn
 * faintly behind, axes with the scatter plot's ticks and a step counter. The axes, text and
 * legend are SVG rendered once by resvg (scatter.ts's layout); the counters of all frames are
 * one SVG strip rendered once. Frames are drawn with the anti-aliased Raster and mapped onto a
 * fixed palette built from the few colours in play (ramps between them), through a 15-bit lookup
 * table. Without resvg: no axes, and the counter in the bitmap font.
 */
import gifenc from 'gifenc';
import { COLORS } from './axes.js';
import { Raster, type RGB } from './raster.js';
import { drawScatterPoints, scatterLayout, TICK_FONT, type ScatterLayout } from './scatter.js';
import { boundsOf, fitBounds, makeTransform, type Bounds, type ScatterLayer } from './scatter-geometry.js';
import { svgOpen, svgText } from './svg.js';
import { compositeOver, svgRenderer, type SvgPixels, type SvgRenderer } from './svg-render.js';

export interface FlowGifOptions {
  width?: number;
  height?: number;
  /** Default: boundsOf all frames and the background. */
  bounds?: Bounds;
  /** Data points (row-major n x 2) drawn faintly in every frame. */
  background?: Float32Array;
  /** Delay between frames in ms (GIF stores 1/100 s; browsers treat < 20 ms as 100 ms). */
  delayMs?: number;
  /** How long the last frame stays before the loop restarts, in ms. */
  holdLastMs?: number;
  /** Text drawn in the top-left corner of frame i (the step counter). */
  caption?: (i: number) => string;
  /** Axes with ticks and a legend (default true; needs resvg). */
  axes?: boolean;
  /** Particle colour (default blue), radius in px (default by count), opacity. */
  color?: RGB;
  radius?: number;
  alpha?: number;
  /** Background point colour (default light grey) and radius in px (default 2.2, 1.6 above 5000 points: larger than the particles so the data shows around them). */
  backgroundColor?: RGB;
  backgroundRadius?: number;
}

/** Palette: ramps between each pair of colours that can blend, 8-16 steps each. */
function buildPalette(bg: RGB, data: RGB, part: RGB, text: RGB, extra: RGB[] = []): number[][] {
  const seen = new Set<string>();
  const pal: number[][] = [];
  const add = (c: number[]) => {
    const k = c.join(',');
    if (!seen.has(k) && pal.length < 256) {
      seen.add(k);
      pal.push(c);
    }
  };
  const ramp = (a: RGB, b: RGB, steps: number) => {
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      add([0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)));
    }
  };
  add([...bg]);
  ramp(bg, part, 24);
  ramp(bg, data, 8);
  ramp(data, part, 12);
  ramp(bg, text, 12);
  ramp(COLORS.white, COLORS.text, 12);
  for (const c of extra) ramp(bg, c, 6);
  return pal;
}

/** 32x32x32 lookup from 5-bit-per-channel colour to nearest palette index. */
function buildLut(pal: number[][]): Uint8Array {
  const lut = new Uint8Array(32768);
  for (let r = 0; r < 32; r++) {
    for (let g = 0; g < 32; g++) {
      for (let b = 0; b < 32; b++) {
        const R = r * 8 + 4;
        const G = g * 8 + 4;
        const B = b * 8 + 4;
        let best = 0;
        let bd = Infinity;
        for (let k = 0; k < pal.length; k++) {
          const p = pal[k];
          const d = (p[0] - R) ** 2 + (p[1] - G) ** 2 + (p[2] - B) ** 2;
          if (d < bd) {
            bd = d;
            best = k;
          }
        }
        lut[(r << 10) | (g << 5) | b] = best;
      }
    }
  }
  return lut;
}

/** What every frame shares: the background with data (and grid), and what goes over the particles. */
interface Scene {
  base: Raster;
  /** Draws the particles of one frame into `frame` (a copy of base). */
  particles(frame: Raster, pts: Float32Array): void;
  /** Draws frame i's overlay (frame, labels, legend, counter). */
  overlay(frame: Raster, i: number): void;
}

/** Axes, ticks and legend as in the scatter plots; the counter in the title row. */
function svgScene(
  renderer: SvgRenderer,
  L: ScatterLayout,
  over: SvgPixels,
  counters: SvgPixels | null,
  data: ScatterLayer | null,
  part: (n: number) => ScatterLayer,
): Scene {
  const base = new Raster(L.width, L.height);
  const under = renderer.render(svgOpen(L.width, L.height) + L.under.join('') + '</svg>');
  compositeOver(base, under, 0, 0);
  if (data) drawScatterPoints(base, L, [data]);
  return {
    base,
    particles: (frame, pts) => drawScatterPoints(frame, L, [{ ...part(pts.length >> 1), points: pts }]),
    overlay: (frame, i) => {
      compositeOver(frame, over, 0, 0);
      if (counters) compositeOver(frame, counters, L.plot.x, 6, i * COUNTER_ROW, COUNTER_ROW);
    },
  };
}

const COUNTER_ROW = 20;

/** The bitmap fallback: no axes, a thin border, the counter in the bitmap font. */
function bitmapScene(opts: FlowGifOptions, width: number, height: number, bounds: Bounds, data: ScatterLayer | null, part: (n: number) => ScatterLayer): Scene {
  const shown = fitBounds(bounds, width, height);
  const toPixel = makeTransform({ x: 0, y: 0, w: width, h: height }, shown);
  const base = new Raster(width, height);
  if (data) {
    const pts = data.points;
    for (let i = 0; i < pts.length >> 1; i++) {
      const [px, py] = toPixel(pts[2 * i], pts[2 * i + 1]);
      base.disc(px, py, data.radius!, data.color, data.alpha!);
    }
  }
  base.strokeRect(0, 0, width, height, [225, 225, 225]);
  return {
    base,
    particles: (frame, pts) => {
      const n = pts.length >> 1;
      const { radius, alpha, color } = part(n);
      for (let i = 0; i < n; i++) {
        const x = pts[2 * i];
        const y = pts[2 * i + 1];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const [px, py] = toPixel(x, y);
        if (px < -4 || py < -4 || px > width + 4 || py > height + 4) continue;
        frame.disc(px, py, radius!, color, alpha!);
      }
    },
    overlay: (frame, i) => {
      const cap = opts.caption?.(i);
      if (!cap) return;
      const w = Array.from(cap).length * 6 + 5;
      frame.fillRect(3, 3, w, 13, COLORS.white, 0.85);
      frame.text(6, 6, cap, COLORS.text);
    },
  };
}

/**
 * Encodes the frames (each a row-major n x 2 Float32Array) as an animated GIF that loops
 * forever. Returns the GIF bytes.
 */
export function flowGif(frames: Float32Array[], opts: FlowGifOptions = {}): Uint8Array {
  if (frames.length === 0) throw new RangeError('flowGif needs at least one frame');
  const width = opts.width ?? 320;
  const height = opts.height ?? 320;
  const delayMs = opts.delayMs ?? 60;
  const holdLastMs = opts.holdLastMs ?? 1000;
  const bgCol = COLORS.white;
  const dataCol = opts.backgroundColor ?? ([200, 200, 200] as RGB);
  const partCol = opts.color ?? COLORS.samples;
  const bounds = opts.bounds ?? boundsOf(opts.background ? [...frames, opts.background] : frames, 0.04);
  const data: ScatterLayer | null = opts.background
    ? { points: opts.background, color: dataCol, alpha: 1, radius: opts.backgroundRadius ?? (opts.background.length > 2 * 5000 ? 1.6 : 2.2), label: 'data' }
    : null;
  const part = (n: number): ScatterLayer => ({
    points: new Float32Array(0),
    color: partCol,
    radius: opts.radius ?? (n > 5000 ? 1.1 : n > 1000 ? 1.5 : 2),
    alpha: opts.alpha ?? (n > 5000 ? 0.55 : 0.7),
    label: 'particles',
  });

  const renderer = opts.axes === false ? null : svgRenderer();
  let scene: Scene;
  if (renderer) {
    // The legend avoids where the particles end up and where the data is.
    const legendLayers = [...(data ? [data] : []), { ...part(frames[0].length >> 1), points: frames[frames.length - 1] }];
    const L = scatterLayout(legendLayers, bounds, width, height, renderer.metrics, { titleSpace: Boolean(opts.caption), legend: true });
    const over = renderer.render(svgOpen(width, height) + L.over.join('') + '</svg>');
    let counters: SvgPixels | null = null;
    if (opts.caption) {
      // All the frames' counters in one strip, one row per frame, rendered at once.
      const w = width - L.plot.x;
      const rows = frames.map((_, i) => svgText(0, i * COUNTER_ROW + 15, opts.caption!(i), TICK_FONT + 1, COLORS.text));
      counters = renderer.render(svgOpen(w, frames.length * COUNTER_ROW) + rows.join('') + '</svg>');
    }
    scene = svgScene(renderer, L, over, counters, data, part);
  } else {
    scene = bitmapScene(opts, width, height, bounds, data, part);
  }

  const pal = buildPalette(bgCol, dataCol, partCol, COLORS.text, [COLORS.muted, COLORS.frame, COLORS.grid]);
  const lut = buildLut(pal);
  // Pixels that did not change since the previous frame are written as a transparent index
  // (frames are kept, not disposed): the static axes, text and data then cost almost nothing.
  const keep = pal.length;
  pal.push([255, 0, 255]);
  const gif = gifenc.GIFEncoder();
  const frame = new Raster(width, height, bgCol);
  const index = new Uint8Array(width * height);
  const shown = new Uint8Array(width * height);
  for (let f = 0; f < frames.length; f++) {
    frame.rgba.set(scene.base.rgba);
    scene.particles(frame, frames[f]);
    scene.overlay(frame, f);
    const d = frame.rgba;
    for (let p = 0, q = 0; q < index.length; p += 4, q++) {
      const k = lut[((d[p] >> 3) << 10) | ((d[p + 1] >> 3) << 5) | (d[p + 2] >> 3)];
      index[q] = f > 0 && k === shown[q] ? keep : k;
      shown[q] = k;
    }
    const last = f === frames.length - 1;
    gif.writeFrame(index, width, height, {
      palette: f === 0 ? pal : undefined,
      delay: last && frames.length > 1 ? Math.max(delayMs, holdLastMs) : delayMs,
      repeat: 0,
      transparent: f > 0,
      transparentIndex: keep,
      dispose: 1,
    });
  }
  gif.finish();
  return gif.bytes();
}
