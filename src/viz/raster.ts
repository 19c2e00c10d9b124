/**
 * A minimal RGBA raster with alpha-blended, anti-aliased primitives (discs, thick lines,
 * rectangles) and bitmap text. Pure TypeScript; pixel (i, j) covers [i, i+1) x [j, j+1), so a
 * shape centred on i + 0.5 is centred on pixel i. The raster is always opaque.
 */
import { ADVANCE, GLYPH_H, glyph, textWidth } from './font.js';

export type RGB = [number, number, number];

export class Raster {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;

  constructor(width: number, height: number, background: RGB = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new RangeError(`Raster size must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.rgba = new Uint8ClampedArray(width * height * 4);
    this.clear(background);
  }

  /** Fills the whole raster with one opaque colour. */
  clear(color: RGB): void {
    const d = this.rgba;
    const [r, g, b] = color;
    for (let i = 0; i < d.length; i += 4) {
      d[i] = r;
      d[i + 1] = g;
      d[i + 2] = b;
      d[i + 3] = 255;
    }
  }

  /** Colour of pixel (x, y) as [r, g, b]. */
  get(x: number, y: number): RGB {
    const i = (y * this.width + x) * 4;
    return [this.rgba[i], this.rgba[i + 1], this.rgba[i + 2]];
  }

  /** Blends `color` over pixel (x, y) with opacity `a` in [0, 1]; out-of-range pixels are ignored. */
  blend(x: number, y: number, color: RGB, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || !(a > 0)) return;
    const i = (y * this.width + x) * 4;
    const d = this.rgba;
    if (a >= 1) {
      d[i] = color[0];
      d[i + 1] = color[1];
      d[i + 2] = color[2];
      return;
    }
    const k = 1 - a;
    d[i] = d[i] * k + color[0] * a;
    d[i + 1] = d[i + 1] * k + color[1] * a;
    d[i + 2] = d[i + 2] * k + color[2] * a;
  }

  /** Fills the pixel rectangle [x, x+w) x [y, y+h) (rounded to whole pixels, clipped). */
  fillRect(x: number, y: number, w: number, h: number, color: RGB, alpha = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    if (x0 >= x1 || y0 >= y1 || !(alpha > 0)) return;
    const d = this.rgba;
    const [r, g, b] = color;
    const a = Math.min(1, alpha);
    const k = 1 - a;
    for (let j = y0; j < y1; j++) {
      for (let p = (j * this.width + x0) * 4, end = (j * this.width + x1) * 4; p < end; p += 4) {
        if (a === 1) {
          d[p] = r;
          d[p + 1] = g;
          d[p + 2] = b;
        } else {
          d[p] = d[p] * k + r * a;
          d[p + 1] = d[p + 1] * k + g * a;
          d[p + 2] = d[p + 2] * k + b * a;
        }
      }
    }
  }

  /** Outline of a pixel rectangle, `t` pixels thick, drawn inside [x, x+w) x [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, color: RGB, t = 1, alpha = 1): void {
    this.fillRect(x, y, w, t, color, alpha);
    this.fillRect(x, y + h - t, w, t, color, alpha);
    this.fillRect(x, y + t, t, h - 2 * t, color, alpha);
    this.fillRect(x + w - t, y + t, t, h - 2 * t, color, alpha);
  }

  /**
   * A filled disc centred at (cx, cy) (continuous coordinates) with an anti-aliased edge.
   * Discs smaller than a pixel keep their total ink (area) by lowering their opacity instead.
   */
  disc(cx: number, cy: number, radius: number, color: RGB, alpha = 1): void {
    if (!Number.isFinite(cx) || !Number.isFinite(cy) || !(radius > 0) || !(alpha > 0)) return;
    let r = radius;
    let a = alpha;
    if (r < 0.5) {
      a *= (Math.PI * r * r) / (Math.PI * 0.25);
      r = 0.5;
    }
    const x0 = Math.max(0, Math.floor(cx - r - 0.5));
    const x1 = Math.min(this.width - 1, Math.floor(cx + r + 0.5));
    const y0 = Math.max(0, Math.floor(cy - r - 0.5));
    const y1 = Math.min(this.height - 1, Math.floor(cy + r + 0.5));
    if (x0 > x1 || y0 > y1) return;
    const d = this.rgba;
    const w = this.width;
    const [cr, cg, cb] = color;
    const rOut = r + 0.5;
    const rOut2 = rOut * rOut;
    const rIn = r - 0.5;
    const rIn2 = rIn > 0 ? rIn * rIn : -1;
    for (let j = y0; j <= y1; j++) {
      const dy = j + 0.5 - cy;
      const dy2 = dy * dy;
      for (let i = x0; i <= x1; i++) {
        const dx = i + 0.5 - cx;
        const dist2 = dx * dx + dy2;
        if (dist2 >= rOut2) continue;
        const cov = dist2 <= rIn2 ? 1 : rOut - Math.sqrt(dist2);
        const t = cov >= 1 ? a : cov * a;
        const k = 1 - t;
        const p = (j * w + i) * 4;
        d[p] = d[p] * k + cr * t;
        d[p + 1] = d[p + 1] * k + cg * t;
        d[p + 2] = d[p + 2] * k + cb * t;
      }
    }
  }

  /**
   * An anti-aliased straight segment of the given width (continuous coordinates, square caps
   * omitted: the ends are round). Axis-aligned 1-px lines at integer + 0.5 coordinates are crisp.
   */
  line(x0: number, y0: number, x1: number, y1: number, color: RGB, width = 1, alpha = 1): void {
    if (![x0, y0, x1, y1].every(Number.isFinite) || !(width > 0) || !(alpha > 0)) return;
    let hw = width / 2;
    let a = alpha;
    if (hw < 0.5) {
      a *= hw / 0.5;
      hw = 0.5;
    }
    const reach = hw + 0.5;
    const bx0 = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
    const bx1 = Math.min(this.width - 1, Math.floor(Math.max(x0, x1) + reach));
    const by0 = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
    const by1 = Math.min(this.height - 1, Math.floor(Math.max(y0, y1) + reach));
    if (bx0 > bx1 || by0 > by1) return;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    const d = this.rgba;
    const w = this.width;
    const [cr, cg, cb] = color;
    for (let j = by0; j <= by1; j++) {
      const py = j + 0.5;
      for (let i = bx0; i <= bx1; i++) {
        const px = i + 0.5;
        let t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - (x0 + t * dx);
        const ey = py - (y0 + t * dy);
        const dist = Math.sqrt(ex * ex + ey * ey);
        const cov = reach - dist;
        if (cov <= 0) continue;
        const s = cov >= 1 ? a : cov * a;
        const k = 1 - s;
        const p = (j * w + i) * 4;
        d[p] = d[p] * k + cr * s;
        d[p + 1] = d[p + 1] * k + cg * s;
        d[p + 2] = d[p + 2] * k + cb * s;
      }
    }
  }

  /** A connected polyline; non-finite points break it into separate pieces. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: RGB, width = 1, alpha = 1): void {
    for (let k = 1; k < xs.length; k++) {
      this.line(xs[k - 1], ys[k - 1], xs[k], ys[k], color, width, alpha);
    }
  }

  /**
   * Draws `str` with the built-in bitmap font; (x, y) is the top-left corner of the first glyph's
   * cap box (descenders hang below y + 7*scale). Returns the drawn width in pixels.
   */
  text(x: number, y: number, str: string, color: RGB, scale = 1): number {
    const s = Math.max(1, Math.round(scale));
    let cx = Math.round(x);
    const cy = Math.round(y);
    for (const ch of str) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        const bits = rows[r];
        if (bits === 0) continue;
        for (let c = 0; c < 5; c++) {
          if (bits & (16 >> c)) {
            if (s === 1) this.blend(cx + c, cy + r, color, 1);
            else this.fillRect(cx + c * s, cy + r * s, s, s, color);
          }
        }
      }
      cx += ADVANCE * s;
    }
    return textWidth(str, s);
  }
}
