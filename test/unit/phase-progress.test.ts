/**
 * The CLI's progress module (issue 21, "progress on every phase"): in a pipe a line at least
 * every interval while a phase runs, from updates and, when none come, from its timer; one
 * final line for a phase that printed; a bar on a terminal; DGGF_PROGRESS_INTERVAL; and
 * training's lines between logged iterations and during one long iteration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPhaseProgress, formatDuration, progressIntervalMs, DEFAULT_INTERVAL_MS } from '../../src/cli/phase-progress.js';
import { createProgress } from '../../src/cli/progress.js';
import { phaseCounter } from '../../src/util/progress.js';

/** A stream that keeps what is written, with the time of each write. */
function sink(tty = false) {
  const writes: { t: number; text: string }[] = [];
  const stream = {
    isTTY: tty,
    columns: 100,
    write(chunk: string | Uint8Array) {
      writes.push({ t: performance.now(), text: String(chunk) });
      return true;
    },
    cursorTo() {
      return true;
    },
    clearLine() {
      return true;
    },
    moveCursor() {
      return true;
    },
    on() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  };
  const text = (): string => writes.map((w) => w.text).join('');
  const lines = (): string[] => text().split('\n').filter((l) => l !== '');
  return { stream: stream as unknown as NodeJS.WritableStream, writes, text, lines };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('pipe: updates print only once the interval has passed since the last line; the phase ends with one line', () => {
  let t = 0;
  const out = sink();
  const p = createPhaseProgress('report', out.stream, { tty: false, intervalMs: 1000, now: () => t });
  const c = phaseCounter(p.onProgress, 'flowing samples', 1000, 'images');
  for (let k = 1; k <= 10; k++) {
    t = k * 400; // an update every 0.4 s for 4 s
    c.tick(100);
  }
  p.stop();
  const lines = out.lines();
  // at 1.2, 2.4 and 3.6 s (each the first update ≥ 1 s after the last line), then the end
  assert.deepEqual(
    lines.slice(0, 3).map((l) => l.replace(/,.*$/, '')),
    ['report: flowing samples 300/1000 images (30%)', 'report: flowing samples 600/1000 images (60%)', 'report: flowing samples 900/1000 images (90%)'],
    out.text(),
  );
  assert.match(lines[0], /250 images\/s, ETA 3s$/, 'rate and ETA: 300 in 1.2 s, 700 to go');
  assert.deepEqual(lines.slice(3), ['report: flowing samples: 1000 images in 4s']);
});

test('pipe: a phase shorter than the interval prints nothing; a new phase name ends the one before', () => {
  let t = 0;
  const out = sink();
  const p = createPhaseProgress('eval', out.stream, { tty: false, intervalMs: 1000, now: () => t });
  const a = phaseCounter(p.onProgress, 'sampling', 10, 'points');
  t = 500;
  a.tick(10);
  t = 900;
  const b = phaseCounter(p.onProgress, 'metrics', 4, 'sets');
  t = 2000;
  b.tick(2);
  t = 2500;
  b.tick(2);
  p.stop();
  assert.deepEqual(out.lines(), ['eval: metrics 2/4 sets (50%), 1.8 sets/s, ETA 1s', 'eval: metrics: 4 sets in 2s']);
});

test('pipe: with no updates (a flow on worker threads) the timer prints the phase at least every interval', async () => {
  const out = sink();
  const p = createPhaseProgress('translate', out.stream, { tty: false, intervalMs: 200 });
  const t0 = performance.now();
  phaseCounter(p.onProgress, 'translating', 64, 'images');
  await sleep(1100);
  p.onProgress({ phase: 'translating', done: 64, total: 64, unit: 'images' });
  p.stop();
  const times = [t0, ...out.writes.map((w) => w.t)];
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(out.writes.length >= 4, `at least 4 lines in 1.1 s at a 0.2 s interval, got:\n${out.text()}`);
  assert.ok(Math.max(...gaps) < 200 + 250, `largest gap ${Math.max(...gaps).toFixed(0)} ms at an interval of 200 ms`);
  assert.match(out.lines()[0], /^translate: translating 0\/64 images \(0%\), \ds so far$/);
  assert.match(out.lines().at(-1)!, /^translate: translating: 64 images in 1s$/);
  // stopped: the timer prints nothing more
  const n = out.writes.length;
  await sleep(500);
  assert.equal(out.writes.length, n);
});

test('terminal: a bar with the phase, count and unit, not pipe lines; a message line goes above a new bar', () => {
  const out = sink(true);
  const p = createPhaseProgress('report', out.stream, { tty: true, intervalMs: 1 });
  const c = phaseCounter(p.onProgress, 'FID/KID features', 300, 'images');
  c.tick(100);
  p.line('features: held-out accuracy 97.0%');
  c.tick(200);
  p.stop();
  const text = out.text();
  assert.match(text, /report: FID\/KID features [█░]{24} \d+\/300 images/, text);
  assert.match(text, /300\/300 images/);
  assert.match(text, /features: held-out accuracy 97\.0%\n/);
  assert.doesNotMatch(text, /ETA \d+s\n.*ETA/s, 'no pipe lines');
  assert.doesNotMatch(text, /in \ds\n/, 'no pipe end line');
});

test('DGGF_PROGRESS_INTERVAL sets the pipe interval in seconds; anything but a number > 0 keeps the default', () => {
  assert.equal(progressIntervalMs({ DGGF_PROGRESS_INTERVAL: '0.5' }), 500);
  assert.equal(progressIntervalMs({ DGGF_PROGRESS_INTERVAL: '12' }), 12000);
  for (const bad of ['0', '-1', 'soon', '']) assert.equal(progressIntervalMs({ DGGF_PROGRESS_INTERVAL: bad }), DEFAULT_INTERVAL_MS, bad);
  assert.equal(progressIntervalMs({}), DEFAULT_INTERVAL_MS);
  assert.ok(DEFAULT_INTERVAL_MS <= 5000, 'a line at least every 5 s by default');
});

test('formatDuration', () => {
  assert.equal(formatDuration(7.4), '7s');
  assert.equal(formatDuration(65), '1m05s');
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3h05m');
  assert.equal(formatDuration(99999 * 870), '1006d22h', 'paper-64 on 2 shared cores: 14m30s an iteration');
  assert.equal(formatDuration(NaN), '—');
});

const stats = (iteration: number) => ({ iteration, loss: 0.5, klEstimate: 0.1, lr: 1e-3, gradNorm: 1 });

test('training in a pipe: a line between logged iterations once the interval passed, and none sooner', () => {
  let t = 0;
  const out = sink();
  const p = createProgress(out.stream, 'train', { tty: false, intervalMs: 3000, now: () => t });
  p.onEvent({ type: 'start', total: 100, resumedFrom: null, skipped: [] });
  for (let it = 1; it <= 10; it++) {
    t = it * 1000;
    p.onEvent({ type: 'tick', iteration: it });
  }
  p.stop();
  // log every 100: only tick lines, at 3, 6 and 9 s
  assert.deepEqual(out.lines(), ['train: iteration 3/100 1.0 it/s ETA 1m37s', 'train: iteration 6/100 1.0 it/s ETA 1m34s', 'train: iteration 9/100 1.0 it/s ETA 1m31s']);
});

test('training in a pipe: a slow first iteration is timed with the projected total, and a long one is reported while it runs', async () => {
  let t = 0;
  const out = sink();
  const p = createProgress(out.stream, 'train', { tty: false, intervalMs: 100, now: () => t });
  p.onEvent({ type: 'start', total: 1000, resumedFrom: null, skipped: [] });
  t = 250;
  await sleep(400); // the timer sees 250 ms of the first iteration
  t = 95_000;
  p.onEvent({ type: 'tick', iteration: 1 });
  p.onEvent({ type: 'log', stats: stats(1) as never, itPerSec: 0.01, etaSeconds: 999 * 95, line: {} as never });
  p.stop();
  const lines = out.lines();
  assert.match(lines[0], /^train: iteration 1\/1000 running for 0s$/, out.text());
  assert.ok(lines.includes('train: the first iteration took 1m35s; 999 more at this speed take about 26h21m'), out.text());
});

test('training: a finished run says "already complete", not "resuming"', () => {
  const out = sink();
  const p = createProgress(out.stream, 'train', { tty: false, intervalMs: 3000 });
  p.onEvent({ type: 'start', total: 30, resumedFrom: 30, skipped: [] });
  p.onEvent({ type: 'done', iteration: 30, seconds: 0, memory: { peakRssMb: 1, engineMb: 0, tensors: 0 } as never, alreadyComplete: true });
  p.stop();
  assert.deepEqual(out.lines(), ['train: already complete (30 iterations); nothing to train']);
});

test('training in a pipe: the set-up before the first iteration is reported while it lasts', async () => {
  let t = 0;
  const out = sink();
  const p = createProgress(out.stream, 'train', { tty: false, intervalMs: 100, now: () => t });
  t = 2500;
  await sleep(300);
  p.onEvent({ type: 'start', total: 10, resumedFrom: null, skipped: [] });
  p.stop();
  assert.deepEqual(out.lines(), ["train: setting up the run (the prior's fit to the data, the net) for 3s"]);
});
