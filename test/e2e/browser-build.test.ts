/**
 * End to end: the package's browser build in Chromium. examples/browser/ is built with Vite as
 * an app that installed dggf would be (`import 'dggf'` through package.json's `browser`
 * export; the build fails on any Node built-in: test/helpers/browser-app.ts), served by a tiny
 * static server next to two `dggf export --format tfjs` folders: a 2-D run trained by the CLI
 * and an image model (conv net, full-covariance data prior in prior.bin). Headless Chromium
 * (playwright-core driving /usr/bin/chromium) opens the page, which loads each export by URL
 * and samples; its samples must equal those of `node examples/tfjs/sample.mjs DIR N SEED`
 * (TF.js's cpu backend in Node) within float tolerance. Screenshots go to test-output/.
 *
 * Needs dist/ (`npm run build`). Run alone with
 *   node --import tsx --test test/e2e/browser-build.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, cliAsync, tempDir } from '../helpers/cli.js';
import { maxRelativeError } from '../helpers/compare.js';
import { buildExampleApp, type BuiltApp } from '../helpers/browser-app.js';
import { initEngine } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { makeImageDataset } from '../../src/data/images/index.js';
import { deriveSetup } from '../../src/train/trainer.js';
import { FlowModel } from '../../src/flow/model.js';
import { exportTfjs } from '../../src/export/tfjs.js';
import { Rng } from '../../src/util/rng.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface ExampleState {
  done: boolean;
  error: string | null;
  backend?: string;
  shape?: number[];
  values?: number[];
  ms?: number;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.bin': 'application/octet-stream' };

/** Serves `routes` (URL prefix → folder) over HTTP on a free port; GET only, no `..`. */
function serve(routes: Record<string, string>): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = Object.keys(routes).filter((p) => url.pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    const rel = decodeURIComponent(url.pathname.slice(prefix?.length ?? 0)) || 'index.html';
    const file = prefix === undefined ? '' : path.join(routes[prefix], rel);
    if (!prefix || rel.split('/').includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

/** An untrained image model (8×8×3, small CNN, data-gaussian prior with a Cholesky factor), exported. */
async function exportImageModel(out: string): Promise<void> {
  await initEngine('cpu');
  const rng = new Rng(2);
  const image = { height: 8, width: 8, channels: 3 } as const;
  const ds = makeImageDataset({ name: 'tiny', image, train: { count: 40, pixels: new Uint8Array(40 * 8 * 8 * 3).map(() => rng.int(256)) }, flip: false });
  const { config } = resolveConfig({ preset: 'emoji-cpu', overrides: { data: 'tiny', prior: 'data-gaussian', net: { type: 'cnn', channels: [4, 6], activation: 'leaky_relu' } }, defaults: {} });
  const model = new FlowModel(config, await deriveSetup(config, ds), new Rng(3));
  try {
    await exportTfjs(model, out, { data: 'tiny', iteration: 0 });
  } finally {
    model.dispose();
  }
}

/** `node examples/tfjs/sample.mjs DIR N SEED` (TF.js's cpu backend in Node): the reference samples, row-major. */
function exampleSamples(dir: string, n: number, seed: number): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'examples', 'tfjs', 'sample.mjs'), dir, String(n), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d));
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    // 'close', not 'exit': 'exit' can come before the last of stdout has been read
    proc.on('close', (code) => (code === 0 ? resolve(Float32Array.from(out.trim().split('\n').flatMap((l) => l.split(',').map(Number)))) : reject(new Error(`examples/tfjs/sample.mjs exited with ${code}: ${err}`))));
  });
}

/** Opens the page on `query` and waits for it to finish sampling (or fail). */
async function openExample(query: string): Promise<ExampleState> {
  await page.goto(new URL(query, site.url).href);
  return waitForSamples();
}

/** Waits until the page's current load-and-sample has finished (or failed). */
async function waitForSamples(): Promise<ExampleState> {
  const t0 = Date.now();
  for (;;) {
    const s = (await page.evaluate('window.dggfExample')) as ExampleState | undefined;
    if (s?.done) return s;
    if (Date.now() - t0 > 60_000) throw new Error(`the page did not finish sampling within 60 s: ${await page.textContent('#status')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pixels of the canvas that are not white. */
const inkedPixels = (): Promise<number> =>
  page.evaluate(`(() => {
    const c = document.getElementById('view');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
    return n;
  })()`) as Promise<number>;

let work: string;
let app: BuiltApp;
let site: { server: http.Server; url: string };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const timings: string[] = [];
/** The samples each page load asks for, and the example's for the same n and seed. */
const POINTS = { n: 300, seed: 4 };
const IMAGES = { n: 9, seed: 2 };
const reference: { points: Float32Array; images: Float32Array } = { points: new Float32Array(), images: new Float32Array() };

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'browser.js')), 'dist/browser.js is missing: run `npm run build`');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  work = tempDir('browser-build');
  const run = path.join(work, 'run');
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  // the build, and each export with its reference samples, side by side
  const points = async (): Promise<Float32Array> => {
    const trained = await cliAsync(['train', '--data', '8gaussians', '--out', run, '--iterations', '30', '--preview-every', '0', '--no-report']);
    assert.equal(trained.code, 0, trained.stderr);
    const exported = await cliAsync(['export', '--run', run, '--out', path.join(work, 'points'), '--format', 'tfjs']);
    assert.equal(exported.code, 0, exported.stderr);
    return exampleSamples(path.join(work, 'points'), POINTS.n, POINTS.seed);
  };
  const images = async (): Promise<Float32Array> => {
    await exportImageModel(path.join(work, 'images'));
    return exampleSamples(path.join(work, 'images'), IMAGES.n, IMAGES.seed);
  };
  const build = async (): Promise<BuiltApp> => {
    const b = await buildExampleApp(work);
    timings.push(`vite build ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return b;
  };
  [app, reference.points, reference.images] = await Promise.all([build(), points(), images()]);
  const cpu = process.cpuUsage(cpu0);
  timings.push(`setup ${((Date.now() - t0) / 1000).toFixed(1)} s (this process's CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`);
  site = await serve({ '/': app.outDir, '/points/': path.join(work, 'points'), '/images/': path.join(work, 'images'), '/bad/': path.join(work, 'bad') });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  console.log(`browser build: ${timings.join('; ')} (machine shared)`);
  await browser?.close();
  site?.server.close();
});

test('the bundle holds the browser build and TF.js parts only: no Node built-in, no Node-only package, not the umbrella', () => {
  const packages = [...app.modules.keys()].filter((k) => !k.startsWith('virtual:')).sort();
  assert.deepEqual(packages, ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', 'dggf', 'dggf-browser-example', 'long', 'seedrandom']);
  const ours = app.modules.get('dggf')!;
  assert.ok(ours.includes(path.join('dist', 'exported', 'flow.js')), ours.join(', '));
  assert.ok(ours.every((f) => f.startsWith(`dist${path.sep}`)), `only built files of dggf: ${ours.join(', ')}`);
});

test('a 2-D export loaded by URL (and as picked files): the page samples exactly what examples/tfjs/sample.mjs does for the same seed, and draws them', async () => {
  const { n, seed } = POINTS;
  const s = await openExample(`?model=points/&n=${n}&seed=${seed}`);
  assert.equal(s.error, null);
  assert.equal(s.backend, 'cpu');
  assert.deepEqual(s.shape, [n, 2]);
  const ref = reference.points;
  assert.equal(ref.length, n * 2);
  // same draws, same ops on TF.js's cpu backend; the reference is printed to 6 digits
  const err = maxRelativeError(ref, s.values!);
  timings.push(`2-D: ${n} samples in ${s.ms!.toFixed(0)} ms in the page, max difference ${err.toExponential(1)} of the largest value`);
  assert.ok(err < 1e-4, `page vs example: max difference ${err} of the largest value`);
  assert.match((await page.textContent('#status')) ?? '', new RegExp(`${n} × 2 samples \\(8gaussians, iteration 30, 45 steps\\)`));
  assert.ok((await inkedPixels()) > 300, 'the scatter has points');
  fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-output', 'browser-example-points.png') });

  // the same export as files picked by the user (<input type="file" multiple>)
  await page.evaluate('window.dggfExample.done = false');
  const dir = path.join(work, 'points');
  await page.setInputFiles('#files', fs.readdirSync(dir).map((f) => path.join(dir, f)));
  const picked = await waitForSamples();
  assert.equal(picked.error, null);
  assert.ok(maxRelativeError(ref, picked.values!) < 1e-4, 'picked files sample as the URL did');
  assert.match((await page.textContent('#status')) ?? '', /^\d+ files: 300 × 2 samples/);
});

test('an image export (conv net, data-gaussian prior from prior.bin): the same samples as the example, drawn as a grid', async () => {
  const { n, seed } = IMAGES;
  const s = await openExample(`?model=images/&n=${n}&seed=${seed}`);
  assert.equal(s.error, null);
  assert.deepEqual(s.shape, [n, 8, 8, 3]);
  const ref = reference.images;
  assert.equal(ref.length, n * 192);
  const err = maxRelativeError(ref, s.values!);
  timings.push(`images: ${n} samples in ${s.ms!.toFixed(0)} ms, max difference ${err.toExponential(1)}`);
  assert.ok(err < 1e-4, `page vs example: max difference ${err} of the largest value`);
  assert.ok(s.values!.every((v) => v >= -1 && v <= 1), 'images in [−1, 1]');
  assert.ok((await inkedPixels()) > 9 * 100, 'the grid has images');
  await page.screenshot({ path: path.join(ROOT, 'test-output', 'browser-example-images.png') });
});

test('a missing export or a broken manifest is one line on the page', async () => {
  const missing = await openExample('?model=nowhere/');
  assert.match(missing.error ?? '', /nowhere\/manifest\.json: HTTP 404/);
  const bad = path.join(work, 'bad');
  fs.cpSync(path.join(work, 'points'), bad, { recursive: true });
  const m = JSON.parse(fs.readFileSync(path.join(bad, 'manifest.json'), 'utf8'));
  m.flow.eta = 'fast';
  fs.writeFileSync(path.join(bad, 'manifest.json'), JSON.stringify(m));
  const broken = await openExample('?model=bad/');
  assert.match(broken.error ?? '', /^manifest\.json: flow\.eta: expected a number, got "fast"$/);
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
