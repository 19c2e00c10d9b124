/**
 * Animated GIF of particles moving along a flow: one frame per 2-D point set, data drawn faintly
 * behind. Frames are rendered with the anti-aliased Raster and mapped onto a fixed palette built
 * from the few colours in play (ramps between them), through a 15-bit lookup table.
 */
import gifenc from 'gifenc';
import { COLORS } from './axes.js';
import { Raster, type RGB } from './raster.js';
import { boundsOf, fitBounds, makeTransform, type Bounds } from './scatter.js';

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
  /** Text drawn in the top-left corner of frame i. */
  caption?: (i: number) => string;
  /** Particle colour (default blue), radius in px (default by count), opacity. */
  color?: RGB;
  radius?: number;
  alpha?: number;
  /** Background point colour (default light grey) and radius in px. */
  backgroundColor?: RGB;
  backgroundRadius?: number;
}

/** Palette: ramps between each pair of colours that can blend, 8-16 steps each. */
function buildPalette(bg: RGB, data: RGB, part: RGB, text: RGB): number[][] {
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
  ramp(bg, text, 6);
  ramp(COLORS.white, COLORS.text, 6);
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
  const dataCol = opts.backgroundColor ?? ([205, 205, 205] as RGB);
  const partCol = opts.color ?? COLORS.samples;
  const textCol = COLORS.text;
  const bounds = fitBounds(
    opts.bounds ?? boundsOf(opts.background ? [...frames, opts.background] : frames, 0.04),
    width,
    height,
  );
  const toPixel = makeTransform({ x: 0, y: 0, w: width, h: height }, bounds);

  // The static part (background data) is drawn once.
  const base = new Raster(width, height, bgCol);
  if (opts.background) {
    const bgPts = opts.background;
    const nb = bgPts.length >> 1;
    const rad = opts.backgroundRadius ?? (nb > 5000 ? 0.9 : 1.3);
    for (let i = 0; i < nb; i++) {
      const [px, py] = toPixel(bgPts[2 * i], bgPts[2 * i + 1]);
      base.disc(px, py, rad, dataCol, 1);
    }
  }
  base.strokeRect(0, 0, width, height, [225, 225, 225]);

  const pal = buildPalette(bgCol, dataCol, partCol, textCol);
  const lut = buildLut(pal);
  const gif = gifenc.GIFEncoder();
  const frame = new Raster(width, height, bgCol);
  const index = new Uint8Array(width * height);
  for (let f = 0; f < frames.length; f++) {
    frame.rgba.set(base.rgba);
    const pts = frames[f];
    const n = pts.length >> 1;
    const rad = opts.radius ?? (n > 5000 ? 1.1 : n > 1000 ? 1.5 : 2);
    const alpha = opts.alpha ?? (n > 5000 ? 0.6 : 0.85);
    for (let i = 0; i < n; i++) {
      const x = pts[2 * i];
      const y = pts[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const [px, py] = toPixel(x, y);
      if (px < -4 || py < -4 || px > width + 4 || py > height + 4) continue;
      frame.disc(px, py, rad, partCol, alpha);
    }
    const cap = opts.caption?.(f);
    if (cap) {
      const w = Array.from(cap).length * 6 + 5;
      frame.fillRect(3, 3, w, 13, COLORS.white, 0.85);
      frame.text(6, 6, cap, textCol);
    }
    const d = frame.rgba;
    for (let p = 0, q = 0; q < index.length; p += 4, q++) {
      index[q] = lut[((d[p] >> 3) << 10) | ((d[p + 1] >> 3) << 5) | (d[p + 2] >> 3)];
    }
    const last = f === frames.length - 1;
    gif.writeFrame(index, width, height, {
      palette: f === 0 ? pal : undefined,
      delay: last && frames.length > 1 ? Math.max(delayMs, holdLastMs) : delayMs,
      repeat: 0,
    });
  }
  gif.finish();
  return gif.bytes();
}
