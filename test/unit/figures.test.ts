/**
 * Figures with real fonts: the SVG builders (ticks, labels, point coordinates), the PNGs resvg
 * renders from them (size, ink, text where the labels are), the flow GIF's axes and counter, and
 * the bitmap-font fallback when @resvg/resvg-js cannot load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { gifFramesRgb, readGif } from '../helpers/gif.js';
import {
  COLORS,
  FONT_FILE,
  curvesPng,
  curvesSvg,
  flowGif,
  imageGridPng,
  readFontMetrics,
  resetSvgRenderer,
  scatterLayout,
  scatterPng,
  scatterSvg,
  svgRenderer,
  type Bounds,
  type RGB,
  type ScatterLayer,
} from '../../src/viz/index.js';

const metrics = readFontMetrics(readFileSync(FONT_FILE));
const haveResvg = svgRenderer() !== null;
const needsResvg = haveResvg ? {} : { skip: '@resvg/resvg-js does not load on this platform' };

interface Img {
  width: number;
  height: number;
  px(x: number, y: number): RGB;
}
function fromPng(buf: Buffer): Img {
  const p = PNG.sync.read(buf);
  return {
    width: p.width,
    height: p.height,
    px: (x, y) => {
      const i = (y * p.width + x) * 4;
      return [p.data[i], p.data[i + 1], p.data[i + 2]];
    },
  };
}
/** Pixels in [x0, x1) x [y0, y1) darker than `level` in every channel (text ink). */
function ink(img: Img, x0: number, y0: number, x1: number, y1: number, level = 170): number {
  let n = 0;
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(img.height, Math.ceil(y1)); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(img.width, Math.ceil(x1)); x++) {
      const [r, g, b] = img.px(x, y);
      if (r < level && g < level && b < level) n++;
    }
  }
  return n;
}
/** Distinct grey levels of the dark-ish pixels in a box: anti-aliased text has many, the bitmap font one. */
function greyLevels(img: Img, x0: number, y0: number, x1: number, y1: number): number {
  const seen = new Set<number>();
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const [r, g, b] = img.px(x, y);
    if (r < 250 && r === g && g === b) seen.add(r);
  }
  return seen.size;
}
const num = (label: string) => Number(label.replace('\u2212', '-').replace(/,/g, ''));

const BOUNDS: Bounds = { xmin: -2, xmax: 2, ymin: -2, ymax: 2 };
const POINTS = Float32Array.from([1, -0.5, -1.5, 1.25, 0, 0]);
const layers: ScatterLayer[] = [{ points: POINTS, color: [214, 39, 40], radius: 3, alpha: 1, label: 'samples' }];

test('font metrics: DejaVu Sans advances read from the bundled TTF', () => {
  // DejaVu Sans: digits 1303/2048 em, space 651, U+2212 minus 1716.
  assert.ok(Math.abs(metrics.width('0', 2048) - 1303) < 1e-9);
  assert.ok(Math.abs(metrics.width(' ', 2048) - 651) < 1e-9);
  assert.ok(Math.abs(metrics.width('\u2212', 2048) - 1716) < 1e-9);
  assert.ok(Math.abs(metrics.width('10', 11) - 2 * 11 * (1303 / 2048)) < 1e-9);
  assert.ok(metrics.width('W', 11) > metrics.width('i', 11));
});

test('scatterSvg: d3 ticks, every tick labelled at its pixel, points at their pixels within 1 px', () => {
  const L = scatterLayout(layers, BOUNDS, 400, 300, metrics, { title: 'T' });
  const svg = scatterSvg(layers, metrics, { width: 400, height: 300, bounds: BOUNDS, title: 'T' });
  const { plot, bounds: b } = L;
  // Equal scales: the 4 x 4 square widened to the 376 x 248-ish plot's aspect ratio.
  assert.ok(Math.abs(plot.w / (b.xmax - b.xmin) - plot.h / (b.ymax - b.ymin)) < 1e-9);
  const toPx = (x: number, y: number) => [plot.x + ((x - b.xmin) / (b.xmax - b.xmin)) * plot.w, plot.y + ((b.ymax - y) / (b.ymax - b.ymin)) * plot.h];
  // Ticks: nice values, all inside the shown range, a label for each in the SVG at the tick's pixel.
  assert.ok(L.xTicks.length >= 4 && L.yTicks.length >= 3, `${L.xTicks.length} x ticks, ${L.yTicks.length} y ticks`);
  const texts = [...svg.matchAll(/<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)<\/text>/g)].map((m) => ({ x: +m[1], y: +m[2], s: m[3] }));
  for (const t of L.xTicks) {
    assert.ok(t.value >= b.xmin && t.value <= b.xmax);
    assert.equal(num(t.label), t.value);
    const el = texts.find((e) => e.s === t.label && e.y > plot.y + plot.h);
    assert.ok(el, `x label ${t.label} below the plot`);
    if (el.x > 30 && el.x < 370) assert.ok(Math.abs(el.x - toPx(t.value, 0)[0]) <= 1, `x label ${t.label} at ${el.x}`);
  }
  for (const t of L.yTicks) {
    const el = texts.find((e) => e.s === t.label && e.x < plot.x);
    assert.ok(el, `y label ${t.label} left of the plot`);
    assert.ok(Math.abs(el.y - 4 - toPx(0, t.value)[1]) <= 1, `y label ${t.label} at ${el.y}`);
  }
  assert.ok(texts.some((e) => e.s === 'T'), 'title');
  assert.ok(texts.some((e) => e.s === 'samples'), 'legend entry');
  // Points: one circle each, at the pixel of its data coordinate.
  const circles = [...svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)" r="3" fill="rgb\(214,39,40\)"\/>/g)].map((m) => [+m[1], +m[2]]);
  assert.equal(circles.length, 3);
  for (let i = 0; i < 3; i++) {
    const [ex, ey] = toPx(POINTS[2 * i], POINTS[2 * i + 1]);
    assert.ok(Math.abs(circles[i][0] - ex) <= 1 && Math.abs(circles[i][1] - ey) <= 1, `point ${i}: ${circles[i]} vs ${ex},${ey}`);
  }
  // (0, 0) is the plot's centre for bounds symmetric about 0.
  assert.ok(Math.abs(circles[2][0] - (plot.x + plot.w / 2)) <= 1 && Math.abs(circles[2][1] - (plot.y + plot.h / 2)) <= 1);
});

test('scatterPng: right size, points where the SVG puts them, anti-aliased text where the labels are', needsResvg, () => {
  const img = fromPng(scatterPng(layers, { width: 400, height: 300, bounds: BOUNDS, title: 'Title text' }));
  assert.deepEqual([img.width, img.height], [400, 300]);
  const L = scatterLayout(layers, BOUNDS, 400, 300, metrics, { title: 'Title text' });
  for (let i = 0; i < 3; i++) {
    const [px, py] = L.toPixel(POINTS[2 * i], POINTS[2 * i + 1]);
    assert.deepEqual(img.px(Math.floor(px), Math.floor(py)), [214, 39, 40], `point ${i}`);
  }
  const { plot } = L;
  const below = plot.y + plot.h;
  for (const t of L.xTicks) {
    const w = metrics.width(t.label, 11);
    if (t.pos - w / 2 < 2 || t.pos + w / 2 > 398) continue;
    assert.ok(ink(img, t.pos - w / 2 - 1, below + 6, t.pos + w / 2 + 1, below + 19) >= 6, `ink of x label ${t.label}`);
  }
  for (const t of L.yTicks) {
    const w = metrics.width(t.label, 11);
    assert.ok(ink(img, plot.x - 9 - w, t.pos - 5, plot.x - 7, t.pos + 5) >= 6, `ink of y label ${t.label}`);
  }
  // Between two x labels below the plot there is no ink; the title row has ink, in many grey levels.
  const [a, c] = L.xTicks;
  const gapL = a.pos + metrics.width(a.label, 11) / 2 + 2;
  const gapR = c.pos - metrics.width(c.label, 11) / 2 - 2;
  assert.ok(gapR - gapL > 4);
  assert.equal(ink(img, gapL, below + 6, gapR, below + 19), 0);
  const tw = metrics.width('Title text', 14);
  assert.ok(ink(img, 200 - tw / 2, 6, 200 + tw / 2, 22) > 30, 'title ink');
  assert.equal(ink(img, 0, 6, 200 - tw / 2 - 3, 22), 0, 'nothing left of the title');
  assert.ok(greyLevels(img, Math.floor(200 - tw / 2), 6, Math.ceil(200 + tw / 2), 22) > 8, 'anti-aliased glyphs (the bitmap font has one level)');
});

test('curvesPng: the SVG rendered, labels inked where curvesSvg places them', needsResvg, () => {
  const series = [{ name: 'loss', x: [0, 100, 200, 300], y: [1, 0.5, 0.25, 0.2] }];
  const opts = { width: 500, height: 300, title: 'Loss', xLabel: 'iteration' };
  const svg = curvesSvg(series, opts);
  const img = fromPng(curvesPng(series, opts));
  assert.deepEqual([img.width, img.height], [500, 300]);
  const texts = [...svg.matchAll(/<text x="([-\d.]+)" y="([-\d.]+)" font-size="([\d.]+)" text-anchor="(\w+)"[^>]*>([^<]*)<\/text>/g)];
  assert.ok(texts.length >= 6);
  for (const m of texts) {
    const [x, y, size, anchor, s] = [+m[1], +m[2], +m[3], m[4], m[5]];
    const w = metrics.width(s, size);
    const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    assert.ok(ink(img, x0 - 1, y - size * 0.8, x0 + w + 1, y + 1) >= 4, `ink of "${s}"`);
  }
  assert.ok(texts.some((m) => m[5] === 'iteration'));
});

test('flowGif with axes: ticks and labels, data behind the particles, a step counter per frame', needsResvg, () => {
  const frames = [Float32Array.from([-1, 0, 1, 1]), Float32Array.from([0, 0, 1, 1]), Float32Array.from([1, 0, 1, 1])];
  const data = Float32Array.from([0, -1, -1, -1]);
  const opts = { width: 240, height: 240, bounds: BOUNDS, background: data, radius: 3, alpha: 1, caption: (i: number) => `step ${i * 10} of 20` };
  const gif = readGif(flowGif(frames, opts));
  assert.equal(gif.frames.length, 3);
  const rgb = gifFramesRgb(gif);
  const img = (f: number): Img => ({ width: 240, height: 240, px: (x, y) => Array.from(rgb[f].subarray(3 * (y * 240 + x), 3 * (y * 240 + x) + 3)) as RGB });
  // The GIF's layout is the scatter layout with a title row for the counter.
  const L = scatterLayout([], BOUNDS, 240, 240, metrics, { titleSpace: true, legend: false });
  const at = (f: number, x: number, y: number) => {
    const [px, py] = L.toPixel(x, y);
    return img(f).px(Math.floor(px), Math.floor(py));
  };
  const close = (a: RGB, b: RGB, tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
  assert.ok(close(at(0, -1, 0), COLORS.samples, 16), `particle in frame 0: ${at(0, -1, 0)}`);
  assert.ok(close(at(2, 1, 0), COLORS.samples, 16), `particle in frame 2: ${at(2, 1, 0)}`);
  assert.ok(!close(at(2, -1, 0), COLORS.samples, 60), 'frame 2 no longer shows frame 0 particle');
  const d = at(1, -1, -1);
  assert.ok(d[0] > 150 && d[0] < 235 && Math.abs(d[0] - d[2]) < 12, `grey data point: ${d}`);
  for (let f = 0; f < 3; f++) {
    const i = img(f);
    for (const t of L.xTicks) {
      const w = metrics.width(t.label, 11);
      if (t.pos - w / 2 < 2 || t.pos + w / 2 > 238) continue;
      assert.ok(ink(i, t.pos - w / 2 - 1, L.plot.y + L.plot.h + 6, t.pos + w / 2 + 1, L.plot.y + L.plot.h + 19) >= 4, `frame ${f}: x label ${t.label}`);
    }
    const cw = metrics.width(`step ${f * 10} of 20`, 12);
    assert.ok(ink(i, L.plot.x, 6, L.plot.x + cw + 1, 24) > 20, `frame ${f}: counter`);
  }
  // The counter changes between frames: frame 0's and frame 1's title rows differ.
  let diff = 0;
  for (let y = 6; y < 24; y++) for (let x = L.plot.x; x < 200; x++) if (img(0).px(x, y)[0] !== img(1).px(x, y)[0]) diff++;
  assert.ok(diff > 10, `counter pixels differ between frames: ${diff}`);
});

test('fallback: without resvg one warning line, then bitmap-font figures of the same sizes', () => {
  const lines: string[] = [];
  resetSvgRenderer({ packageName: 'dggf-test-no-such-resvg', warn: (l) => lines.push(l) });
  try {
    assert.equal(svgRenderer(), null);
    assert.equal(svgRenderer(), null);
    assert.equal(lines.length, 1, 'warned once');
    assert.ok(!lines[0].includes('\n') && /bitmap font/.test(lines[0]) && lines[0].includes('dggf-test-no-such-resvg'), lines[0]);
    const img = fromPng(scatterPng(layers, { width: 400, height: 300, bounds: BOUNDS, title: 'Title text' }));
    assert.deepEqual([img.width, img.height], [400, 300]);
    // Bitmap title: 10 glyphs of 6 px at scale 2, in one colour (no anti-aliasing).
    assert.ok(ink(img, 0, 0, 400, 24) > 30, 'title drawn');
    assert.ok(greyLevels(img, 0, 0, 400, 21) <= 2, `bitmap text has one or two grey levels: ${greyLevels(img, 0, 0, 400, 21)}`);
    const curves = fromPng(curvesPng([{ name: 'loss', x: [0, 1, 2], y: [3, 2, 1] }], { width: 300, height: 200, title: 'Loss' }));
    assert.deepEqual([curves.width, curves.height], [300, 200]);
    assert.ok(ink(curves, 0, 0, 300, 30) > 20, 'curve title drawn');
    const gif = readGif(flowGif([Float32Array.from([0, 0])], { width: 80, height: 80, caption: () => 'step 0' }));
    assert.deepEqual([gif.width, gif.height, gif.frames.length], [80, 80, 1]);
    const grid = fromPng(imageGridPng(new Float32Array(4 * 4 * 4).fill(-1), 4, { height: 4, width: 4, channels: 1 }, { cols: 2, rowLabels: ['a', 'b'] }));
    assert.ok(grid.width > 16);
    assert.equal(lines.length, 1, 'still one warning after drawing');
  } finally {
    resetSvgRenderer();
  }
  assert.equal(svgRenderer() !== null, haveResvg, 'the real renderer is back');
});

test('image grid row labels: real-font text in the label column, images beside it', needsResvg, () => {
  const shape = { height: 8, width: 8, channels: 1 } as const;
  const imgs = new Float32Array(4 * 64).fill(1); // white images
  const g = fromPng(imageGridPng(imgs, 4, shape, { cols: 2, scale: 2, rowLabels: ['zero', 'one'] }));
  const labelW = Math.ceil(metrics.width('zero', 11)) + 8;
  assert.equal(g.width, labelW + 2 * 18 + 2);
  assert.ok(ink(g, 0, 0, labelW, 18) > 8, 'first row label');
  assert.ok(ink(g, 0, 18, labelW, 36) > 6, 'second row label');
  assert.equal(ink(g, labelW, 0, g.width, g.height), 0, 'no ink over the (white) images');
});
