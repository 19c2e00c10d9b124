/**
 * End to end: `dggf playground --port 0` serves the built page; headless Chromium
 * (playwright-core driving /usr/bin/chromium) trains on 8gaussians in it, and we check that
 * the reported MMD fell, the canvas changed, the CSV export has the right shape, bad input
 * gets an inline message, a CLI run folder loads and replays, and an image run (a tiny one
 * trained on a folder of 16×16 discs drawn here) shows a grid of samples and its flow.
 * Screenshots go to test-output/playground.png (also docs/playground.png) and
 * test-output/playground-images.png.
 *
 * Needs the CLI built (dist/, `npm run build`); builds the page (dist/web/) with Vite when it
 * is missing or older than web/ or src/. Run alone with
 *   node --import tsx --test test/e2e/playground.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { BIN, ROOT, cliAsync, runCli, tempDir } from '../helpers/cli.js';
import { startPlaygroundServer } from '../../src/cli/commands/playground.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_OUT = path.join(ROOT, 'dist', 'web');
/** Iterations to train in the page before checking MMD. */
const ITERATIONS = 150;

interface PageState {
  ready: boolean;
  backend: string | null;
  thread: string;
  running: boolean;
  iteration: number;
  session: { kind: string; label: string; target: string; canTrain: boolean; mmdFloor: number | null } | null;
  mmd: { iteration: number; value: number }[];
  itPerSec: number;
  stepMs: number;
  tensors: number;
  frames: number;
  message: string | null;
  replay: { frames: number; done: boolean; kl: number } | null;
  images: {
    shape: { height: number; width: number; channels: number };
    count: number;
    step: number;
    layout: { cols: number; rows: number; x: number; y: number; cell: number; pitch: number; scale: number } | null;
    stripSteps: number[];
    values: { min: number; max: number; minImageStd: number } | null;
  } | null;
}

const state = (page: Page): Promise<PageState> => page.evaluate('window.dggfPlayground.state()') as Promise<PageState>;
const viewSignature = (page: Page): Promise<number> => page.evaluate('window.dggfPlayground.viewSignature()') as Promise<number>;
/**
 * Waits until `predicate` (a JS expression over `s`, the page state) holds. Polled from here:
 * page.waitForFunction evaluates its predicate with eval in the page, which the playground's
 * Content-Security-Policy forbids (as it should).
 */
const until = async (page: Page, predicate: string, timeout = 120_000): Promise<void> => {
  const expr = `(() => { const s = window.dggfPlayground && window.dggfPlayground.state(); return Boolean(s && (${predicate})); })()`;
  const t0 = Date.now();
  while (!(await page.evaluate(expr))) {
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${predicate}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function buildPageIfNeeded(): void {
  const index = path.join(WEB_OUT, 'index.html');
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built >= Math.max(newestMtime(path.join(ROOT, 'web')), newestMtime(path.join(ROOT, 'src')))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, `vite build web failed:\n${r.stdout}\n${r.stderr}`);
}

/** Starts `dggf playground` with `args`; resolves with the URL it prints. */
function startServer(args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'playground', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL from dggf playground within 60 s:\n${out}\n${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /http:\/\/\S+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[0] });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dggf playground exited with ${code}:\n${out}\n${err}`));
    });
  });
}

function stopServer(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

/** Status of a GET of `rawPath` sent as is (no client-side normalisation of `..`). */
function rawStatus(base: string, rawPath: string): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** A folder of 16×16 PNGs: a red, blue or green disc of random place and size on off-white. */
function writeDiscs(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const colours = [[220, 40, 40], [40, 90, 220], [30, 160, 60]];
  for (let i = 0; i < n; i++) {
    const w = 16;
    const png = new PNG({ width: w, height: w });
    const [cx, cy, r] = [4 + rnd() * 8, 4 + rnd() * 8, 2.5 + rnd() * 2.5];
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < w; x++) {
        const c = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r ? colours[i % 3] : [245, 245, 240];
        png.data.set([...c, 255], (y * w + x) * 4);
      }
    }
    fs.writeFileSync(path.join(dir, `disc${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
  }
}

/** The plot canvas's pixels (a screenshot of the element, its 1 px border cut off) as RGBA rows. */
async function plotPixels(page: Page): Promise<{ width: number; height: number; data: Buffer }> {
  const shot = PNG.sync.read(await page.locator('#view').screenshot());
  const border = 1;
  const width = shot.width - 2 * border;
  const height = shot.height - 2 * border;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) shot.data.copy(data, y * width * 4, ((y + border) * shot.width + border) * 4, ((y + border) * shot.width + border + width) * 4);
  return { width, height, data };
}

/** Standard deviation of the luminance in a square of the picture. */
function patchStd(img: { width: number; data: Buffer }, x0: number, y0: number, side: number): number {
  let sum = 0;
  let sq = 0;
  for (let y = y0; y < y0 + side; y++) {
    for (let x = x0; x < x0 + side; x++) {
      const o = (y * img.width + x) * 4;
      const l = 0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2];
      sum += l;
      sq += l * l;
    }
  }
  const n = side * side;
  return Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
}

/** Shows step `index` of the loaded flow with the slider, as a user dragging it would. */
async function scrubTo(page: Page, index: number): Promise<void> {
  await page.evaluate(`(() => { const s = document.getElementById('flow-step'); s.value = '${index}'; s.dispatchEvent(new Event('input', { bubbles: true })); })()`);
  await page.waitForTimeout(100); // the next animation frame draws it
}

let browser: Browser;
let page: Page;
let server: { proc: ChildProcess; url: string };
let work: string;
let runDir: string;
let cliRun: string;
let imageRun: string;
/** Wall seconds the tiny image run took to train (2 cores, shared with the other CLI runs). */
let imageTrainSeconds = 0;
const pageErrors: string[] = [];
/** Console errors about the Content-Security-Policy: the page must work under it. */
const cspViolations: string[] = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'commands', 'playground.js')), 'dist/ lacks the playground command: run `npm run build`');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  buildPageIfNeeded();
  work = tempDir('playground');
  // CLI runs, side by side: a small trained 2-D run folder for the page to load and replay,
  // the toy preset for 12 iterations to compare the page's training with
  runDir = path.join(work, 'run');
  cliRun = path.join(work, 'same-as-page');
  // and an image run: the emoji-cpu preset's CNN for 12 iterations on 96 discs of 16×16
  imageRun = path.join(work, 'image-run');
  writeDiscs(path.join(work, 'discs'), 96);
  const imageStart = Date.now();
  const [small, toy, images] = await Promise.all([
    cliAsync(['train', '--data', '8gaussians', '--out', runDir, '--iterations', '30', '--flow-steps', '10', '--batch', '64', '--hidden', '16', '--depth', '1', '--checkpoint-every', '15', '--log-every', '5', '--preview-every', '0', '--no-report']),
    cliAsync(['train', '--data', '8gaussians', '--out', cliRun, '--iterations', '12', '--log-every', '1', '--preview-every', '0', '--no-report', '--seed', '3']),
    cliAsync(['train', '--preset', 'emoji-cpu', '--data', path.join(work, 'discs'), '--size', '16', '--out', imageRun, '--iterations', '12', '--batch', '32', '--checkpoint-every', '12', '--log-every', '4', '--preview-every', '0', '--no-report']).then((r) => {
      imageTrainSeconds = (Date.now() - imageStart) / 1000;
      return r;
    }),
  ]);
  assert.equal(small.code, 0, small.stderr);
  assert.equal(toy.code, 0, toy.stderr);
  assert.equal(images.code, 0, images.stderr);
  server = await startServer(['--port', '0']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(server.url);
  await until(page, 's.ready', 60_000);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await stopServer(server.proc), 0, 'dggf playground exits 0 on SIGTERM');
});

test('the page trains on 8gaussians: MMD falls, the canvas changes, it/s is shown, the UI stays responsive', async () => {
  const s0 = await state(page);
  assert.match(String(s0.backend), /^(webgpu|webgl|wasm|cpu)$/);
  assert.match(await page.textContent('#backend') ?? '', new RegExp(String(s0.backend)));
  assert.equal(await page.inputValue('#target'), '8gaussians');
  // Reset builds the session: particles at iteration 0 (the prior, flowed by the untrained net)
  await page.click('#reset');
  await until(page, "s.session && s.session.target === '8gaussians' && s.mmd.length >= 1 && s.frames >= 1");
  await page.waitForTimeout(300); // let the first frame's glide finish
  const before = await viewSignature(page);
  const mmd0 = (await state(page)).mmd[0];
  assert.equal(mmd0.iteration, 0);

  // watch the main thread while training: animation frames must keep coming
  await page.evaluate(`(() => {
    window.__gaps = { max: 0, last: performance.now(), on: true };
    const tick = (t) => { const g = window.__gaps; if (!g.on) return; g.max = Math.max(g.max, t - g.last); g.last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  const t0 = Date.now();
  await page.click('#train');
  await until(page, 's.running');
  await until(page, `s.iteration >= ${ITERATIONS} && s.mmd.length && s.mmd[s.mmd.length - 1].iteration >= ${ITERATIONS - 25}`, 150_000);
  const seconds = (Date.now() - t0) / 1000;
  const maxGap = (await page.evaluate('(() => { window.__gaps.on = false; return window.__gaps.max; })()')) as number;
  const s1 = await state(page);
  await page.click('#train'); // pause
  await until(page, '!s.running');
  await page.waitForTimeout(300);
  const after = await viewSignature(page);

  const last = s1.mmd[s1.mmd.length - 1];
  console.log(
    `playground: backend ${s1.backend} (${s1.thread}), ${s1.iteration} iterations in ${seconds.toFixed(1)} s, ` +
      `${s1.itPerSec.toFixed(2)} it/s, ${s1.stepMs.toFixed(0)} ms/step; MMD ${mmd0.value.toFixed(4)} at 0 → ${last.value.toFixed(4)} at ${last.iteration} ` +
      `(data vs data ${s1.session?.mmdFloor?.toFixed(4)}); longest frame gap ${maxGap.toFixed(0)} ms; ${s1.tensors} tensors`,
  );
  assert.ok(last.value < 0.7 * mmd0.value, `MMD should fall: ${mmd0.value} at 0, ${last.value} at ${last.iteration}`);
  assert.notEqual(after, before, 'the canvas changed');
  assert.ok(s1.itPerSec > 0);
  assert.match((await page.textContent('#itps')) ?? '', /^\d/);
  assert.match((await page.textContent('#mmd')) ?? '', /^\d/);
  assert.ok(maxGap < 2000, `the page kept drawing while training (longest gap between frames ${maxGap.toFixed(0)} ms)`);
  assert.equal(s1.message, null, `no error shown: ${s1.message}`);

  fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-output', 'playground.png'), clip: { x: 0, y: 0, width: 1400, height: 740 } });
  fs.copyFileSync(path.join(ROOT, 'test-output', 'playground.png'), path.join(ROOT, 'docs', 'playground.png'));

  // Replay flow: the current net's flow from the prior, step by step (K + κ steps)
  await page.click('#replay');
  await until(page, 's.replay && s.replay.done', 60_000);
  assert.equal((await state(page)).replay!.frames, 40 + 5 + 1);
});

test('exports the samples as CSV (header x0,x1, n rows of two numbers) and the view as PNG', async () => {
  await page.fill('#export-n', '500');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.match(csv.suggestedFilename(), /^dggf-8gaussians-iter\d+-samples\.csv$/);
  const csvPath = path.join(work, csv.suggestedFilename());
  await csv.saveAs(csvPath);
  const lines = fs.readFileSync(csvPath, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'x0,x1');
  assert.equal(lines.length, 501);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    assert.equal(cells.length, 2, line);
    for (const c of cells) assert.ok(Number.isFinite(Number(c)) && c.trim() !== '', line);
  }
  // samples land near the 8 modes (radius ≈ 1.41): most within 0.5 of the circle
  const radii = lines.slice(1).map((l) => Math.hypot(...l.split(',').map(Number)));
  const near = radii.filter((r) => Math.abs(r - 1.414) < 0.5).length / radii.length;
  assert.ok(near > 0.6, `${(100 * near).toFixed(0)}% of the samples near the circle of modes`);

  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const pngPath = path.join(work, png.suggestedFilename());
  await png.saveAs(pngPath);
  assert.deepEqual([...fs.readFileSync(pngPath).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('bad input gets an inline message and the page stays usable', async () => {
  const message = async (): Promise<string> => {
    await page.waitForSelector('#message:not([hidden])', { timeout: 10_000 });
    return (await page.textContent('#message')) ?? '';
  };
  await page.fill('#eta', 'fast');
  assert.match(await message(), /η.*expected a number, got 'fast'/);
  await page.fill('#eta', '-1');
  assert.match(await message(), /η.*expected a number > 0/);
  await page.fill('#eta', '0.1');
  await page.fill('#batch', '10000000');
  assert.match(await message(), /batch: at most 4096/);
  await page.click('#train'); // refused with the message, nothing starts
  assert.match(await message(), /batch/);
  assert.equal((await state(page)).running, false);
  await page.fill('#batch', '4096');
  await page.fill('#flowSteps', '1000');
  assert.match(await message(), /K × batch = 1000 × 4096/);
  await page.fill('#flowSteps', '40');
  await page.fill('#batch', '256');
  assert.equal(await page.isHidden('#message'), true);

  await page.selectOption('#target', 'custom');
  await page.fill('#points', '');
  await page.click('#train');
  assert.match(await message(), /empty/);
  await page.fill('#points', '0.5,1\n1,oops\n');
  assert.match(await message(), /line 2.*oops/);
  await page.click('#train');
  assert.match(await message(), /oops/);
  await page.fill('#points', '1,2,3\n4,5,6\n');
  assert.match(await message(), /3 columns per row, expected 2/);
  // drawing on the canvas adds points (x,y rows) to the set
  await page.fill('#points', '');
  const box = (await page.locator('#view').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.3 + 0.04 * i), box.y + box.height * 0.5, { steps: 2 });
  await page.mouse.up();
  const drawn = (await page.inputValue('#points')).trim().split('\n');
  assert.ok(drawn.length >= 6, `${drawn.length} points drawn`);
  assert.match((await page.textContent('#points-count')) ?? '', /^\d+ points$/);
  // a valid pasted set trains
  await page.fill('#points', 'x,y\n-1,0\n1,0\n0,1\n0,-1\n-1.1,0.1\n0.9,-0.1\n');
  assert.equal(await page.isHidden('#message'), true);
  await page.click('#step');
  await until(page, "s.session && s.session.target === 'custom' && s.iteration >= 1", 60_000);
  const s = await state(page);
  assert.equal(s.message, null);
  assert.equal(s.ready, true);
  await page.selectOption('#target', '8gaussians');
});

test('a CLI run folder loads (config.json + checkpoint + metrics) and its flow replays', async () => {
  const ckpts = fs.readdirSync(path.join(runDir, 'checkpoints')).sort();
  assert.deepEqual(ckpts, ['iter-0000015.ckpt', 'iter-0000030.ckpt']);
  // a bad file first: an inline message, nothing loaded
  const file = (name: string, buffer: Buffer, mimeType = 'application/octet-stream') => ({ name, mimeType, buffer });
  await page.setInputFiles('#load-files', [
    file('config.json', Buffer.from('{"config": 1}'), 'application/json'),
    file(ckpts[1], fs.readFileSync(path.join(runDir, 'checkpoints', ckpts[1]))),
  ]);
  await page.waitForSelector('#message:not([hidden])');
  assert.match((await page.textContent('#message')) ?? '', /config\.json/);
  await page.setInputFiles('#load-files', [
    path.join(runDir, 'config.json'),
    ...ckpts.map((c) => path.join(runDir, 'checkpoints', c)),
    path.join(runDir, 'metrics.jsonl'),
  ]);
  await until(page, "s.session && s.session.kind === 'run' && s.replay && s.replay.done", 60_000);
  const s = await state(page);
  assert.match(s.session!.label, /iter-0000030\.ckpt/);
  assert.equal(s.iteration, 30);
  assert.equal(s.replay!.frames, 10 + 5 + 1, 'K + κ steps and the start');
  assert.equal(s.replay!.kl, 16, 'a KL estimate per step');
  assert.equal(s.message, null);
  assert.equal(await page.inputValue('#flowSteps'), '10');

  // the same run through "Load folder…" (the folder picker)
  await page.click('#reset');
  await until(page, "s.session && s.session.kind === 'train'");
  await page.setInputFiles('#load-dir', runDir);
  await until(page, "s.session && s.session.kind === 'run' && s.replay && s.replay.done", 60_000);
  assert.match((await state(page)).session!.label, /iter-0000030\.ckpt/);
});

test('the page trains exactly as `dggf train` does with the same settings and seed', async () => {
  const cli = fs.readFileSync(path.join(cliRun, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; kl_estimate: number });
  await page.selectOption('#target', '8gaussians');
  await page.selectOption('#pairing', 'lr-kl');
  for (const [field, value] of Object.entries({ eta: '0.1', noise: '0.01', flowSteps: '40', batch: '256', lr: '0.001', iterations: '12', seed: '3' })) {
    await page.fill(`#${field}`, value);
  }
  await page.click('#train');
  await until(page, "s.session && s.session.kind === 'train' && s.iteration >= 12 && !s.running", 60_000);
  const { curves } = (await page.evaluate('window.dggfPlayground.state()')) as { curves: { loss: number[]; estimate: number[] } };
  assert.equal(curves.loss.length, 12);
  cli.forEach((line, i) => {
    // same code, same draws; the backends' float32 sums may differ in the last bits
    assert.ok(Math.abs(curves.loss[i] - line.loss) <= 1e-5, `loss at iteration ${i + 1}: page ${curves.loss[i]}, CLI ${line.loss}`);
    assert.ok(Math.abs(curves.estimate[i] - line.kl_estimate) <= 1e-4, `KL estimate at ${i + 1}: page ${curves.estimate[i]}, CLI ${line.kl_estimate}`);
  });
  await page.fill('#iterations', '1400');
});

test('an image run loads (config.json, prior.bin, checkpoint): a grid of samples with varied pixels, and its flow step by step', async () => {
  const ckpt = fs.readdirSync(path.join(imageRun, 'checkpoints')).sort().at(-1)!;
  assert.equal(ckpt, 'iter-0000012.ckpt');
  // without prior.bin (where the run keeps its prior's covariance factor): an inline message
  await page.setInputFiles('#load-files', [path.join(imageRun, 'config.json'), path.join(imageRun, 'checkpoints', ckpt)]);
  await page.waitForSelector('#message:not([hidden])');
  assert.match((await page.textContent('#message')) ?? '', /prior\.bin: load that file too/);
  const t0 = Date.now();
  await page.setInputFiles('#load-files', [
    path.join(imageRun, 'config.json'),
    path.join(imageRun, 'prior.bin'),
    path.join(imageRun, 'checkpoints', ckpt),
    path.join(imageRun, 'metrics.jsonl'),
  ]);
  await until(page, "s.session && s.session.kind === 'run' && s.images && s.replay && s.replay.done", 120_000);
  const loadSeconds = (Date.now() - t0) / 1000;
  const s = await state(page);
  const im = s.images!;
  assert.match(s.session!.label, /image run on .*discs \(16×16 RGB\), iter-0000012\.ckpt/);
  assert.equal(s.session!.canTrain, false);
  assert.equal(s.message, null);
  assert.equal(s.iteration, 12);
  assert.deepEqual(im.shape, { height: 16, width: 16, channels: 3 });
  assert.equal(im.count, 64);
  assert.equal(s.replay!.frames, 10 + 20 + 1, 'K + κ steps and the start');
  assert.equal(im.step, 30, 'the grid ends at the samples');
  assert.deepEqual(im.stripSteps, [0, 6, 12, 18, 24, 30]);
  assert.ok(im.values && im.values.minImageStd > 0.05, `every sample has varied pixels (smallest std of one image ${im.values?.minImageStd})`);
  assert.deepEqual([im.layout!.cols, im.layout!.rows], [8, 8]);

  // the picture itself: 8×8 images on the grid background, each with pixels that vary
  const last = await plotPixels(page);
  const L = im.layout!;
  const stds: number[] = [];
  for (let i = 0; i < 64; i++) stds.push(patchStd(last, L.x + (i % 8) * L.pitch, L.y + Math.floor(i / 8) * L.pitch, L.cell));
  assert.ok(Math.min(...stds) > 3, `every cell of the grid shows a varied image (smallest luminance std ${Math.min(...stds).toFixed(2)} of 255)`);
  const gap = (L.y * last.width + L.x + L.cell) * 4; // just right of the first image
  assert.deepEqual([...last.data.subarray(gap, gap + 3)], [0xe9, 0xeb, 0xef], 'images are separated by the grid background');
  assert.equal(patchStd(last, L.x + 8 * L.pitch, L.y, 4), 0, 'nothing drawn right of the 8th column');

  // the flow: the grid at the prior, midway and at the samples differs; the slider shows each
  const sig: number[] = [];
  const pictures = [];
  for (const index of [0, 15, 30]) {
    await scrubTo(page, index);
    const si = await state(page);
    assert.equal(si.images!.step, index);
    sig.push(await viewSignature(page));
    pictures.push(index === 30 ? last : await plotPixels(page));
  }
  assert.equal(new Set(sig).size, 3, `the grid changes along the flow (signatures ${sig.join(', ')})`);
  let diff = 0;
  for (let i = 0; i < last.data.length; i += 4) diff += Math.abs(pictures[0].data[i] - pictures[2].data[i]);
  const meanDiff = diff / (last.data.length / 4);
  assert.ok(meanDiff > 2, `the prior and the samples look different (mean |Δ red| ${meanDiff.toFixed(2)} of 255)`);
  assert.match((await page.textContent('#flow-step-label')) ?? '', /^30 of 30 \(the samples\)$/);
  assert.equal(await page.isDisabled('#export-csv'), true, 'samples of an image run are exported as the PNG of the grid');
  console.log(
    `playground, image run: trained in ${imageTrainSeconds.toFixed(1)} s (CLI, 12 iterations, beside two 2-D runs); ` +
      `loaded and flowed 64 images × 30 steps in the page in ${loadSeconds.toFixed(1)} s; mean |Δ| prior → samples ${meanDiff.toFixed(1)}`,
  );
  await page.screenshot({ path: path.join(ROOT, 'test-output', 'playground-images.png'), fullPage: true });

  // an image run is not trained here, and the page says why; choosing a 2-D target trains again
  assert.equal(await page.isDisabled('#train'), true);
  assert.equal(await page.isDisabled('#step'), true);
  assert.match((await page.textContent('#session-label')) ?? '', /an image run samples here but does not train/);
  await page.selectOption('#target', '8gaussians');
  assert.equal(await page.isDisabled('#train'), false);
  await page.click('#reset');
  await until(page, "s.session && s.session.kind === 'train' && !s.images");
  assert.equal(await page.isHidden('#image-flow'), true);
});

test('dggf playground --run DIR serves the run; a taken port and a missing build are clear errors', async () => {
  const withRun = await startServer(['--port', '0', '--run', runDir]);
  try {
    const manifest = (await (await fetch(new URL('run/manifest.json', withRun.url))).json()) as Record<string, string>;
    assert.equal(manifest.checkpoint, 'run/iter-0000030.ckpt');
    const ckpt = await fetch(new URL(manifest.checkpoint, withRun.url));
    assert.equal(ckpt.status, 200);
    assert.equal(Buffer.from(await ckpt.arrayBuffer()).subarray(0, 8).toString('ascii'), 'DGGFCKPT');
    assert.equal(await rawStatus(withRun.url, '/run/..%2f..%2fpackage.json'), 404);
    assert.equal(await rawStatus(withRun.url, '/%2e%2e/%2e%2e/package.json'), 404);
    // the page loads the served run at start and replays it
    const p2 = await browser.newPage();
    await p2.goto(withRun.url);
    await until(p2, "s.session && s.session.kind === 'run' && s.replay && s.replay.frames > 0", 60_000);
    await p2.close();
  } finally {
    await stopServer(withRun.proc);
  }
  // an image run: its prior.bin is served too, and the page shows its grid at start
  const withImages = await startServer(['--port', '0', '--run', imageRun]);
  try {
    const manifest = (await (await fetch(new URL('run/manifest.json', withImages.url))).json()) as Record<string, string>;
    assert.equal(manifest.prior, 'run/prior.bin');
    const p3 = await browser.newPage();
    await p3.goto(withImages.url);
    await until(p3, "s.session && s.session.kind === 'run' && s.images && s.images.values && s.replay && s.replay.done", 120_000);
    assert.equal((await state(p3)).images!.count, 64);
    await p3.close();
  } finally {
    await stopServer(withImages.proc);
  }
  const port = new URL(server.url).port;
  const taken = runCli(['playground', '--port', port], { timeoutMs: 30_000 });
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, new RegExp(`^dggf: error: port ${port} is already in use`));
  await assert.rejects(startPlaygroundServer({ port: 0, root: path.join(work, 'no-such-build') }), /playground page is not built.*npm run build:web/);
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  assert.deepEqual(cspViolations, [], 'nothing the page does is blocked by the server\'s Content-Security-Policy');
});
