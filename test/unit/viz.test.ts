import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { gifFramesRgb, readGif } from '../helpers/gif.js';
import {
  Raster,
  encodePng,
  glyph,
  hasGlyph,
  textWidth,
  linearTicks,
  logTicks,
  formatNumber,
  makeAxis,
  boundsOf,
  fitBounds,
  drawScatter,
  scatterPng,
  curvesLayout,
  curvesPng,
  curvesSvg,
  flowGif,
  renderReport,
  COLORS,
  type RGB,
  type Series,
} from '../../src/viz/index.js';

// ---------- helpers ----------

function decodePng(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}
function pngPixel(png: PNG, x: number, y: number): RGB {
  const i = (y * png.width + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}
function close(a: RGB, b: RGB, tol = 12): boolean {
  return Math.abs(a[0] - b[0]) <= tol && Math.abs(a[1] - b[1]) <= tol && Math.abs(a[2] - b[2]) <= tol;
}

const RED: RGB = [220, 30, 30];
const BLUE: RGB = [31, 119, 180];

// ---------- raster & font ----------

test('Raster: disc colours its centre, leaves far pixels, blends alpha, clips', () => {
  const r = new Raster(20, 10);
  assert.deepEqual(r.get(0, 0), [255, 255, 255]);
  r.disc(5.5, 5.5, 2, RED);
  assert.deepEqual(r.get(5, 5), RED);
  assert.deepEqual(r.get(12, 5), [255, 255, 255]);
  const edge = r.get(7, 5); // partially covered edge pixel: between red and white
  assert.ok(edge[1] > RED[1] && edge[1] < 255, `anti-aliased edge ${edge}`);
  r.fillRect(10, 0, 2, 2, [0, 0, 0], 0.5);
  assert.ok(Math.abs(r.get(10, 0)[0] - 128) <= 1);
  r.disc(-50, -50, 3, RED); // fully outside: no throw
  r.line(-10, 8.5, 40, 8.5, BLUE, 1);
  assert.deepEqual(r.get(15, 8), BLUE);
  assert.deepEqual(r.get(15, 6), [255, 255, 255]);
  assert.throws(() => new Raster(0, 5));
});

test('font: required characters exist and text draws inside its box', () => {
  const need = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz .,:-+=()%/_[]<>|#\'e';
  for (const ch of need) assert.ok(hasGlyph(ch), `glyph for ${JSON.stringify(ch)}`);
  assert.ok(glyph('A').some((row) => row !== 0));
  assert.ok(glyph(' ').every((row) => row === 0));
  assert.equal(textWidth('abc'), 17);
  assert.equal(textWidth('abc', 2), 34);
  const r = new Raster(40, 20);
  const w = r.text(2, 3, 'Hi 1e-3', [0, 0, 0]);
  assert.equal(w, textWidth('Hi 1e-3'));
  let inside = 0;
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) {
      if (r.get(x, y)[0] === 0) {
        inside++;
        assert.ok(x >= 2 && x < 2 + w && y >= 3 && y < 3 + 9, `ink at ${x},${y} outside text box`);
      }
    }
  }
  assert.ok(inside > 20);
});

test('encodePng round-trips through pngjs', () => {
  const r = new Raster(33, 17, [10, 20, 30]);
  r.fillRect(4, 5, 1, 1, [200, 100, 50]);
  const png = decodePng(encodePng(r));
  assert.equal(png.width, 33);
  assert.equal(png.height, 17);
  assert.deepEqual(pngPixel(png, 4, 5), [200, 100, 50]);
  assert.deepEqual(pngPixel(png, 0, 0), [10, 20, 30]);
});

// ---------- axes ----------

test('ticks: d3 nice linear and log ticks with their labels; makeAxis', () => {
  assert.deepEqual(linearTicks(0, 20000, 5).values, [0, 5000, 10000, 15000, 20000]);
  assert.deepEqual(linearTicks(0, 20000, 5).labels, ['0', '5,000', '10,000', '15,000', '20,000']);
  const t = linearTicks(-0.83, 3.1, 6);
  assert.deepEqual(t.values, [-0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(t.labels.slice(0, 3), ['\u22120.5', '0.0', '0.5']);
  for (const [a, b] of [[-3.7, 12.2], [1e-5, 3e-5], [1234, 1235], [-1, 1]]) {
    const k = linearTicks(a, b, 6);
    assert.ok(k.values.length >= 2 && k.values.length <= 12, `${a}..${b}: ${k.values}`);
    assert.ok(k.values.every((v) => v >= a - 1e-9 * Math.abs(a) && v <= b + 1e-9 * Math.abs(b)));
    assert.equal(new Set(k.labels).size, k.labels.length, `distinct labels ${k.labels}`);
  }
  assert.deepEqual(linearTicks(1e-5, 3e-5, 4).labels, ['1e-5', '1.5e-5', '2e-5', '2.5e-5', '3e-5']);
  assert.deepEqual(logTicks(1e-6, 1e-1).values, [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
  assert.deepEqual(logTicks(1e-6, 1e-1).labels, ['1e-6', '1e-5', '1e-4', '0.001', '0.01', '0.1']);
  assert.ok(logTicks(0.02, 1.5).labels.includes('0.1'));
  const ax = makeAxis([5, 5, 5]);
  assert.ok(ax.min < 5 && ax.max > 5 && ax.ticks.includes(5));
  assert.equal(ax.labels.length, ax.ticks.length);
  const empty = makeAxis([NaN]);
  assert.deepEqual([empty.min, empty.max], [0, 1]);
});

test('formatNumber: 4 significant digits, integers kept, exponents for extremes', () => {
  assert.equal(formatNumber(123.456789), '123.5');
  assert.equal(formatNumber(0.0123456), '0.01235');
  assert.equal(formatNumber(0.000123456), '1.235e-4');
  assert.equal(formatNumber(20000), '20000');
  assert.equal(formatNumber(-2.5), '-2.5');
  assert.equal(formatNumber(1.23456e9), '1.235e9');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(0), '0');
});

// ---------- scatter ----------

test('boundsOf: square, centred, contains all finite points, ignores non-finite', () => {
  const a = Float32Array.from([0, 0, 4, 1, NaN, 100, Infinity, 3, 2, -1]);
  const b = Float32Array.from([1, 2]);
  const bd = boundsOf([a, b]);
  assert.ok(Math.abs(bd.xmax - bd.xmin - (bd.ymax - bd.ymin)) < 1e-9, 'square');
  assert.ok(Math.abs((bd.xmin + bd.xmax) / 2 - 2) < 1e-9 && Math.abs((bd.ymin + bd.ymax) / 2 - 0.5) < 1e-9, 'centred');
  for (const [x, y] of [[0, 0], [4, 1], [2, -1], [1, 2]]) {
    assert.ok(x > bd.xmin && x < bd.xmax && y > bd.ymin && y < bd.ymax);
  }
  assert.ok(bd.ymax < 50, 'NaN/Inf pairs ignored');
  assert.deepEqual(boundsOf([new Float32Array(0)]), { xmin: -1, xmax: 1, ymin: -1, ymax: 1 });
  const one = boundsOf([Float32Array.from([3, 3])]);
  assert.ok(one.xmax > one.xmin && one.xmin < 3 && one.xmax > 3);
  const f = fitBounds({ xmin: 0, xmax: 1, ymin: 0, ymax: 1 }, 200, 100);
  assert.ok(Math.abs((f.xmax - f.xmin) / (f.ymax - f.ymin) - 2) < 1e-9);
});

test('drawScatter: a marker at a data coordinate colours the expected pixel of the PNG', () => {
  const r = new Raster(300, 300);
  const pts = Float32Array.from([1, -0.5, -1.5, 2]);
  const grey = Float32Array.from([0, 0]);
  const frame = drawScatter(
    r,
    [
      { points: grey, color: COLORS.data, label: 'data' },
      { points: pts, color: RED, radius: 3, alpha: 1, label: 'samples' },
    ],
    { xmin: -3, xmax: 3, ymin: -3, ymax: 3 },
    { title: 'test', legend: false },
  );
  const png = decodePng(encodePng(r));
  for (const [x, y] of [[1, -0.5], [-1.5, 2]]) {
    const [px, py] = frame.toPixel(x, y);
    assert.ok(px > frame.plot.x && px < frame.plot.x + frame.plot.w);
    assert.deepEqual(pngPixel(png, Math.floor(px), Math.floor(py)), RED);
  }
  // y grows upwards: the point with larger y is higher in the picture.
  assert.ok(frame.toPixel(0, 2)[1] < frame.toPixel(0, -0.5)[1]);
  // Equal scales on both axes.
  const [x0, y0] = frame.toPixel(0, 0);
  const [x1] = frame.toPixel(1, 0);
  const [, y1] = frame.toPixel(0, 1);
  assert.ok(Math.abs(x1 - x0 - (y0 - y1)) < 1e-9);
});

test('scatterPng: 20k points render quickly (CPU time) to the requested size', () => {
  const n = 20000;
  const data = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) data[i] = Math.sin(i * 12.9898) * 3;
  const samples = data.slice(0, 4000).map((v) => v * 0.5);
  scatterPng([{ points: samples, color: BLUE }]); // warm-up
  // CPU time, not wall time: the machine is shared (resvg renders on this thread).
  const c0 = process.cpuUsage();
  const buf = scatterPng(
    [
      { points: data, color: COLORS.data, label: 'data' },
      { points: samples, color: COLORS.samples, label: 'samples' },
      { points: Float32Array.from([0, 0, 1, 1]), color: COLORS.modes, marker: 'ring', radius: 5, label: 'modes' },
    ],
    { title: '8 gaussians' },
  );
  const used = process.cpuUsage(c0);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms < 400, `scatterPng took ${ms.toFixed(0)} ms of CPU`);
  const png = decodePng(buf);
  assert.equal(png.width, 512);
  assert.equal(png.height, 512);
  const wide = decodePng(scatterPng([{ points: samples, color: BLUE }], { width: 400, height: 250 }));
  assert.deepEqual([wide.width, wide.height], [400, 250]);
});

// ---------- curves ----------

test('curves: gaps, single points, constants, negatives, empty and log axes all render', () => {
  const x = [0, 10, 20, 30, 40, 50];
  const cases: [Series[], { logY?: boolean }][] = [
    [[{ name: 'kl', x, y: [2, 1, NaN, -0.2, -0.1, -0.15] }], {}],
    [[{ name: 'one', x: [5], y: [0.3] }], {}],
    [[{ name: 'flat', x, y: x.map(() => 1) }], {}],
    [[{ name: 'none', x: [], y: [] }], {}],
    [[{ name: 'nan', x, y: x.map(() => NaN) }], {}],
    [[{ name: 'short y', x, y: [1, 2] }], {}],
    [[{ name: 'a', x, y: [1, 0.1, 0.01, -1, 0, 1e-4] }, { name: 'b', x, y: [3, 3, 3, 3, 3, 3] }], { logY: true }],
  ];
  for (const [series, o] of cases) {
    const png = decodePng(curvesPng(series, { title: 'T', xLabel: 'iteration', yLabel: 'KL', ...o }));
    assert.deepEqual([png.width, png.height], [640, 360]);
    const svg = curvesSvg(series, o);
    assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
    assert.ok(!svg.includes('NaN'), 'no NaN coordinates in the SVG');
  }
});

test('curvesLayout: gaps split lines, ticks lie inside the axis, SVG shows the same labels', () => {
  const s: Series[] = [
    { name: 'loss <b>', x: [0, 1, 2, 3, 4, 5], y: [1, 2, NaN, 4, 5, 6] },
    { name: 'kl', x: [0, 5], y: [-1, 3], color: [0, 128, 0] },
  ];
  const L = curvesLayout(s, { width: 500, height: 300 });
  assert.equal(L.series[0].pieces.length, 2);
  assert.equal(L.series[0].pieces[0][0].length, 2);
  assert.deepEqual(L.series[1].color, [0, 128, 0]);
  assert.ok(L.y.min <= -1 && L.y.max >= 6);
  for (const t of L.y.ticks) assert.ok(t >= L.y.min && t <= L.y.max);
  for (const t of L.xTicks) assert.ok(t.pos >= L.plot.x && t.pos <= L.plot.x + L.plot.w);
  assert.ok(L.legend, 'legend for two series');
  const svg = curvesSvg(s, { width: 500, height: 300 });
  for (const t of [...L.xTicks, ...L.yTicks]) assert.ok(svg.includes(`>${t.label}</text>`), t.label);
  assert.ok(svg.includes('loss &lt;b&gt;') && !svg.includes('<b>'));
  // The PNG really draws the line colour somewhere in the plot.
  const png = decodePng(curvesPng(s, { width: 500, height: 300 }));
  let green = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === 0 && png.data[i + 1] === 128 && png.data[i + 2] === 0) green++;
  assert.ok(green > 50);
});

// ---------- gif ----------

test('flowGif without axes: GIF89a, loops forever, one image per frame, delays, particles where expected', () => {
  const frames: Float32Array[] = [];
  for (let k = 0; k < 5; k++) frames.push(Float32Array.from([-1 + 0.5 * k, 0, 1, 1]));
  const background = Float32Array.from([0, -1, 0.5, -0.5]);
  const bounds = { xmin: -2, xmax: 2, ymin: -2, ymax: 2 };
  const bytes = flowGif(frames, {
    width: 100,
    height: 100,
    bounds,
    background,
    backgroundRadius: 1.3,
    delayMs: 50,
    holdLastMs: 900,
    radius: 3,
    alpha: 1,
    caption: (i) => `step ${i}`,
    axes: false,
  });
  assert.ok(bytes instanceof Uint8Array);
  const gif = readGif(bytes);
  assert.deepEqual([gif.width, gif.height], [100, 100]);
  assert.ok(gif.loopForever, 'NETSCAPE2.0 loop extension with count 0');
  assert.equal(gif.frames.length, 5);
  assert.deepEqual(gif.frames.map((f) => f.delay), [50, 50, 50, 50, 900]);
  const rgb = gifFramesRgb(gif);
  const px = (f: number, x: number, y: number): RGB => {
    const col = Math.floor(((x - bounds.xmin) / 4) * 100);
    const row = Math.floor(((bounds.ymax - y) / 4) * 100);
    const q = 3 * (row * 100 + col);
    return [rgb[f][q], rgb[f][q + 1], rgb[f][q + 2]];
  };
  // Frame 0: particle at (-1, 0); frame 4: it moved to (1, 0).
  assert.ok(close(px(0, -1, 0), COLORS.samples, 16), `frame 0 at particle: ${px(0, -1, 0)}`);
  assert.ok(close(px(0, 1, 0), [255, 255, 255], 4));
  assert.ok(close(px(4, 1, 0), COLORS.samples, 16));
  assert.ok(close(px(4, -1, 0), [255, 255, 255], 4));
  // Fixed particle at (1, 1) in every frame; background data visible (not white, not blue).
  for (let f = 0; f < 5; f++) assert.ok(close(px(f, 1, 1), COLORS.samples, 16));
  const bg = px(2, 0, -1);
  assert.ok(bg[0] < 250 && bg[0] > 150 && Math.abs(bg[0] - bg[2]) < 20, `faint grey data point: ${bg}`);
  assert.throws(() => flowGif([]));
});

// ---------- report ----------

test('renderReport: one self-contained page, all text escaped', () => {
  const evil = '<script>alert("x")</script>';
  const html = renderReport({
    title: `Run ${evil}`,
    subtitle: 'a & b',
    sections: [
      { heading: evil, images: [{ src: 'samples/it "1".png', caption: evil }], table: { rows: [[evil, 0.000123456], ['iters', 20000], ['name', evil]] } },
      { heading: 'Curves', svg: curvesSvg([{ name: 'loss', x: [0, 1], y: [1, 0] }]) },
      { heading: 'Config', pre: '{"a": "<b>"}' },
    ],
  });
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(!html.includes('<script'), 'no script tag survives');
  assert.ok(html.includes('&lt;script&gt;'));
  assert.ok(html.includes('<title>Run &lt;script&gt;'));
  assert.ok(html.includes('a &amp; b'));
  assert.ok(html.includes('src="samples/it &quot;1&quot;.png"'));
  assert.ok(html.includes('1.235e-4') && html.includes('20000'));
  assert.ok(html.includes('<svg') && html.includes('&lt;b&gt;'));
  assert.ok(html.includes('<style>') && !/<link|src="https?:/.test(html), 'no external assets');
  assert.ok(html.includes('name="viewport"'));
});
