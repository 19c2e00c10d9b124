/**
 * Drawing on 2-D canvases: the view (log-ratio heat map, data, particle paths, particles) and
 * the curves (loss, KL/χ² estimate, MMD). Cheap enough to redraw every animation frame.
 */
import { HEAT_GRID, type Bounds } from './protocol.js';

const PARTICLE = '#1537a8';
const DATA = 'rgba(90, 90, 90, 0.55)';
const TRAIL = 'rgba(21, 55, 168, 0.22)';

/** Diverging colour for t in [−1, 1]: teal (data outweighs particles) – white – orange. */
function diverging(t: number): [number, number, number] {
  const a = Math.min(1, Math.abs(t));
  const [r, g, b] = t < 0 ? [22, 140, 160] : [232, 110, 30];
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

export interface ViewState {
  bounds: Bounds;
  data: Float32Array;
  particles: Float32Array | null;
  trails: { snapshots: number; count: number; points: Float32Array } | null;
  showHeat: boolean;
  showTrails: boolean;
  showData: boolean;
}

export class ViewRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly heatCanvas: HTMLCanvasElement;
  private heatScale = 1;
  private hasHeat = false;
  private from: Float32Array | null = null;
  private to: Float32Array | null = null;
  private tweenStart = 0;
  private readonly tweenMs = 120;
  state: ViewState;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D canvas context');
    this.ctx = ctx;
    this.heatCanvas = document.createElement('canvas');
    this.heatCanvas.width = HEAT_GRID;
    this.heatCanvas.height = HEAT_GRID;
    this.state = {
      bounds: { x0: -4, x1: 4, y0: -4, y1: 4 },
      data: new Float32Array(0),
      particles: null,
      trails: null,
      showHeat: true,
      showTrails: true,
      showData: true,
    };
  }

  /** The log-ratio scale of the heat map (|log r| shown at full colour). */
  get heatRange(): number {
    return this.heatScale;
  }

  clearHeat(): void {
    this.hasHeat = false;
  }

  setHeat(values: Float32Array): void {
    const abs = Array.from(values, (v) => (Number.isFinite(v) ? Math.abs(v) : 0)).sort((a, b) => a - b);
    const p98 = abs[Math.floor(0.98 * (abs.length - 1))] ?? 1;
    this.heatScale = Math.min(8, Math.max(0.25, p98));
    const ctx = this.heatCanvas.getContext('2d')!;
    const img = ctx.createImageData(HEAT_GRID, HEAT_GRID);
    for (let i = 0; i < values.length; i++) {
      const v = Number.isFinite(values[i]) ? values[i] / this.heatScale : 0;
      const [r, g, b] = diverging(v);
      img.data[4 * i] = r;
      img.data[4 * i + 1] = g;
      img.data[4 * i + 2] = b;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    this.hasHeat = true;
  }

  /** New particle positions; the view glides to them from where they are drawn now. */
  setParticles(p: Float32Array | null, animate = true): void {
    const now = performance.now();
    this.from = animate && p && this.to && this.to.length === p.length ? this.current(now) : p;
    this.to = p;
    this.tweenStart = now;
    this.state.particles = p;
  }

  private current(now: number): Float32Array | null {
    if (!this.to) return null;
    if (!this.from || this.from === this.to) return this.to;
    const t = Math.min(1, (now - this.tweenStart) / this.tweenMs);
    if (t >= 1) return this.to;
    const out = new Float32Array(this.to.length);
    for (let i = 0; i < out.length; i++) out[i] = this.from[i] + (this.to[i] - this.from[i]) * t;
    return out;
  }

  /** Is a glide still in progress (draw again next frame)? */
  animating(now: number): boolean {
    return this.from !== null && this.from !== this.to && now - this.tweenStart < this.tweenMs;
  }

  /** Canvas pixel coordinates of a data point. */
  toCanvas(x: number, y: number): [number, number] {
    const { bounds: b } = this.state;
    const w = this.canvas.width;
    const h = this.canvas.height;
    return [((x - b.x0) / (b.x1 - b.x0)) * w, ((b.y1 - y) / (b.y1 - b.y0)) * h];
  }

  /** Data coordinates of a point given in CSS pixels relative to the canvas. */
  toData(cssX: number, cssY: number): [number, number] {
    const { bounds: b } = this.state;
    const rect = this.canvas.getBoundingClientRect();
    return [b.x0 + (cssX / rect.width) * (b.x1 - b.x0), b.y1 - (cssY / rect.height) * (b.y1 - b.y0)];
  }

  private dots(points: Float32Array, radius: number, color: string): void {
    const { ctx } = this;
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i + 1 < points.length; i += 2) {
      const [px, py] = this.toCanvas(points[i], points[i + 1]);
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      ctx.moveTo(px + radius, py);
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
    }
    ctx.fill();
  }

  draw(now = performance.now()): void {
    const { ctx, canvas, state } = this;
    const w = canvas.width;
    const h = canvas.height;
    const scale = w / 560;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, w, h);
    if (state.showHeat && this.hasHeat) {
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.globalAlpha = 0.9;
      ctx.drawImage(this.heatCanvas, 0, 0, w, h);
      ctx.globalAlpha = 1;
    }
    this.axes(scale);
    if (state.showData && state.data.length) this.dots(state.data, 1.3 * scale, DATA);
    if (state.showTrails && state.trails) {
      const { snapshots, count, points } = state.trails;
      ctx.strokeStyle = TRAIL;
      ctx.lineWidth = 1 * scale;
      ctx.beginPath();
      for (let p = 0; p < count; p++) {
        for (let s = 0; s < snapshots; s++) {
          const i = (s * count + p) * 2;
          const [px, py] = this.toCanvas(points[i], points[i + 1]);
          if (s === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        }
      }
      ctx.stroke();
    }
    const p = this.current(now);
    if (p) this.dots(p, 1.9 * scale, PARTICLE);
    ctx.restore();
  }

  private axes(scale: number): void {
    const { ctx, canvas, state } = this;
    const b = state.bounds;
    const span = b.x1 - b.x0;
    const step = niceStep(span / 6);
    ctx.strokeStyle = 'rgba(0,0,0,0.08)';
    ctx.lineWidth = 1;
    ctx.fillStyle = 'rgba(0,0,0,0.45)';
    ctx.font = `${Math.round(10 * scale)}px system-ui, sans-serif`;
    ctx.beginPath();
    for (let v = Math.ceil(b.x0 / step) * step; v <= b.x1; v += step) {
      const [px] = this.toCanvas(v, 0);
      ctx.moveTo(px, 0);
      ctx.lineTo(px, canvas.height);
      ctx.fillText(fmtTick(v), px + 2 * scale, canvas.height - 4 * scale);
    }
    for (let v = Math.ceil(b.y0 / step) * step; v <= b.y1; v += step) {
      const [, py] = this.toCanvas(0, v);
      ctx.moveTo(0, py);
      ctx.lineTo(canvas.width, py);
      ctx.fillText(fmtTick(v), 3 * scale, py - 2 * scale);
    }
    ctx.stroke();
  }
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function fmtTick(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
}

export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export interface Series {
  x: number[];
  y: number[];
  color: string;
  dash?: number[];
  /** Draw as dots with a line (few points, e.g. MMD). */
  markers?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
  /** Horizontal reference line (e.g. the data-vs-data MMD). */
  reference?: { y: number; label: string };
  /** Show the y axis in log scale (values > 0). */
  log?: boolean;
  xLabel?: string;
}

/** Stacked small line charts. */
export function drawPanels(canvas: HTMLCanvasElement, panels: Panel[]): void {
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  const s = w / 420;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  if (!panels.length) return;
  const ph = h / panels.length;
  panels.forEach((panel, k) => {
    const top = k * ph;
    const left = 46 * s;
    const right = w - 10 * s;
    const pTop = top + 18 * s;
    const pBottom = top + ph - 16 * s;
    ctx.fillStyle = '#222';
    ctx.font = `600 ${Math.round(11 * s)}px system-ui, sans-serif`;
    ctx.fillText(panel.title, left, top + 12 * s);
    const tf = (v: number): number => (panel.log ? Math.log10(Math.max(v, 1e-12)) : v);
    const xs: number[] = [];
    const ys: number[] = [];
    for (const ser of panel.series) {
      for (let i = 0; i < ser.x.length; i++) {
        const y = ser.y[i];
        if (!Number.isFinite(y) || (panel.log && y <= 0)) continue;
        xs.push(ser.x[i]);
        ys.push(tf(y));
      }
    }
    if (panel.reference && Number.isFinite(panel.reference.y)) ys.push(tf(panel.reference.y));
    ctx.strokeStyle = '#ccc';
    ctx.lineWidth = 1;
    ctx.strokeRect(left, pTop, right - left, pBottom - pTop);
    if (!xs.length) {
      ctx.fillStyle = '#999';
      ctx.font = `${Math.round(10 * s)}px system-ui, sans-serif`;
      ctx.fillText('no data yet', left + 8 * s, (pTop + pBottom) / 2);
      return;
    }
    let x0 = Math.min(...xs);
    let x1 = Math.max(...xs);
    if (x1 === x0) x1 = x0 + 1;
    // robust y range: 2nd–98th percentile of the values, so one spike does not flatten the curve
    const sorted = [...ys].sort((a, b) => a - b);
    let y0 = sorted[Math.floor(0.02 * (sorted.length - 1))];
    let y1 = sorted[Math.ceil(0.98 * (sorted.length - 1))];
    if (panel.reference) {
      y0 = Math.min(y0, tf(panel.reference.y));
      y1 = Math.max(y1, tf(panel.reference.y));
    }
    if (y1 - y0 < 1e-9) {
      y0 -= 0.5;
      y1 += 0.5;
    }
    const pad = (y1 - y0) * 0.08;
    y0 -= pad;
    y1 += pad;
    const px = (x: number): number => left + ((x - x0) / (x1 - x0)) * (right - left);
    const py = (y: number): number => pBottom - ((Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * (pBottom - pTop);
    ctx.fillStyle = '#666';
    ctx.font = `${Math.round(9.5 * s)}px system-ui, sans-serif`;
    const yl = (v: number): string => fmt(panel.log ? Math.pow(10, v) : v, 3);
    ctx.fillText(yl(y1), 2 * s, pTop + 8 * s);
    ctx.fillText(yl(y0), 2 * s, pBottom);
    ctx.fillText(String(Math.round(x0)), left, pBottom + 12 * s);
    const xr = `${Math.round(x1)}${panel.xLabel ? ` ${panel.xLabel}` : ''}`;
    ctx.fillText(xr, right - ctx.measureText(xr).width, pBottom + 12 * s);
    if (panel.reference && Number.isFinite(panel.reference.y)) {
      ctx.strokeStyle = '#888';
      ctx.setLineDash([4 * s, 3 * s]);
      ctx.beginPath();
      const ry = py(tf(panel.reference.y));
      ctx.moveTo(left, ry);
      ctx.lineTo(right, ry);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#777';
      ctx.fillText(panel.reference.label, right - ctx.measureText(panel.reference.label).width - 2 * s, ry - 3 * s);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, pTop, right - left, pBottom - pTop);
    ctx.clip();
    for (const ser of panel.series) {
      ctx.strokeStyle = ser.color;
      ctx.fillStyle = ser.color;
      ctx.lineWidth = 1.4 * s;
      ctx.setLineDash(ser.dash ? ser.dash.map((d) => d * s) : []);
      ctx.beginPath();
      // at most ~2 points per pixel column
      const stride = Math.max(1, Math.floor(ser.x.length / ((right - left) * 2)));
      let started = false;
      for (let i = 0; i < ser.x.length; i += stride) {
        const y = ser.y[i];
        if (!Number.isFinite(y) || (panel.log && y <= 0)) continue;
        const X = px(ser.x[i]);
        const Y = py(tf(y));
        if (!started) ctx.moveTo(X, Y);
        else ctx.lineTo(X, Y);
        started = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (ser.markers) {
        for (let i = 0; i < ser.x.length; i++) {
          const y = ser.y[i];
          if (!Number.isFinite(y) || (panel.log && y <= 0)) continue;
          ctx.beginPath();
          ctx.arc(px(ser.x[i]), py(tf(y)), 2.2 * s, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
    ctx.restore();
  });
}
