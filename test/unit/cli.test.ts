import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processStartTime } from '../../src/train/lock.js';
import { runCli, snapshot, tempDir, tmpFile } from '../helpers/cli.js';

/** A tiny, fast training config for CLI tests. */
const TINY = ['--iterations', '6', '--flow-steps', '3', '--batch', '32', '--hidden', '8', '--depth', '1', '--checkpoint-every', '3', '--log-every', '1'];

let run: string;

before(() => {
  run = path.join(tempDir('cli'), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', run, ...TINY, '--no-report']);
  assert.equal(r.code, 0, r.stderr);
});

function expectUsageError(args: string[], pattern: RegExp): string {
  const r = runCli(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.code}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one error line, got:\n${r.stderr}`);
  assert.match(lines[0], /^dggf: error: /);
  assert.match(lines[0], pattern);
  return lines[0];
}

test('a run folder holds config.json, checkpoints/, metrics.jsonl (one line per iteration with --log-every 1), samples/', () => {
  for (const p of ['config.json', 'checkpoints', 'metrics.jsonl', 'samples']) assert.ok(fs.existsSync(path.join(run, p)), p);
  const lines = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.iteration), [1, 2, 3, 4, 5, 6]);
  for (const l of lines) for (const k of ['loss', 'kl_estimate', 'lr', 'it_per_s']) assert.equal(typeof l[k], 'number', k);
  assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).sort(), ['iter-0000003.ckpt', 'iter-0000006.ckpt']);
});

test('bad input: one clear line, exit code 2, nothing in the run folder changed', () => {
  const before = snapshot(run);
  const cases: [string[], RegExp][] = [
    [['train', '--data', '8gaussians', '--out', run, '--eta', '0'], /--eta.*expected a number > 0, got 0/],
    [['train', '--data', '8gaussians', '--out', run, '--eta', '-1'], /--eta.*expected a number > 0/],
    [['train', '--data', '8gaussians', '--out', run, '--eta', 'abc'], /--eta.*expected a number, got 'abc'/],
    [['train', '--data', '8gaussians', '--out', run, '--bogus'], /unknown option '--bogus'/],
    [['train', '--data', 'ninegaussians', '--out', run], /dataset 'ninegaussians'.*expected one of: 8gaussians/],
    [['train', '--data', tmpFile('bad.csv', 'x,y\n1,2\n3,abc\n'), '--out', run], /bad\.csv.*line 3.*'abc'/],
    [['train', '--data', tmpFile('ragged.csv', '1,2\n3,4,5\n'), '--out', run], /ragged\.csv.*line 2/],
    [['train', '--data', tmpFile('empty.csv', ''), '--out', run], /empty\.csv.*empty/i],
    [['train', '--data', '8gaussians', '--out', run, '--flow-steps', '7'], /created with flowSteps = 3, not 7/],
    [['train', '--data', '8gaussians', '--out', run, '--train-quiet-steps', '2'], /created with trainQuietSteps = undefined, not 2/],
    [['train', '--data', '8gaussians', '--out', run, '--train-quiet-steps', '-1'], /--train-quiet-steps.*-1/],
    [['train', '--data', '8gaussians', '--out', run, '--prior-components', '4'], /priorComponents 4 shapes the data-gmm prior, but the prior is 'gaussian'/],
    [['train', '--data', '8gaussians', '--out', run, '--prior', 'data-gmm', '--prior-widen', '-1'], /--prior-widen.*-1/],
    [['train', '--data', '8gaussians', '--out', run, '--loss', 'lsif', '--divergence', 'kl'], /loss 'lsif'.*divergence 'kl'/],
    [['train', '--data', '8gaussians', '--out', run, '--config', tmpFile('c.json', '{"eta": -2}')], /eta/],
    [['train', '--data', '8gaussians', '--out', run, '--config', tmpFile('c.json', '{"etta": 2}')], /unknown field 'etta'/],
    [['eval', '--run', run, '--data', tmpFile('three.csv', '1,2,3\n4,5,6\n')], /three\.csv has 3 columns, expected 2/],
    [['sample', '--run', run, '--n', '0', '--out', 'x.csv'], /--n.*expected a whole number > 0/],
    [['sample', '--run', path.join(run, 'nope'), '--n', '5', '--out', path.join(run, 'x.csv')], /not a dggf run folder/],
    [['sample', '--run', run, '--n', '5', '--out', path.join(run, 'x.csv'), '--kl-curve', path.join(run, 'no', 'k.csv')], /--kl-curve.*does not exist/],
    [['sample', '--run', run, '--n', '5', '--out', path.join(run, 'x.txt')], /--out.*expected a \.csv/],
    [['eval', '--run', run, '--n', '1'], /--n.*expected a whole number ≥ 2/],
    [['train', '--data', '8gaussians', '--out', run, '--iterations', '4'], /--iterations 4 is below the 6 iterations this run has done/],
    [['train', '--data', '8gaussians', '--out', path.join(run, 'config.json')], /exists and is not a folder/],
    [['train', '--out', path.join(path.dirname(run), 'fresh')], /--data is required/],
  ];
  for (const [args, pattern] of cases) expectUsageError(args, pattern);
  assert.deepEqual(snapshot(run), before);
});

test('a non-empty folder that is not a run is refused, untouched', () => {
  const dir = tempDir('notrun');
  fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
  expectUsageError(['train', '--data', '8gaussians', '--out', dir, ...TINY], /not a dggf run folder/);
  assert.deepEqual(fs.readdirSync(dir), ['precious.txt']);
});

test('NaN/Inf in the loss stops training with a message, exit code 3, keeping the checkpoints written before', () => {
  const dir = path.join(tempDir('nan'), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', dir, ...TINY, '--eta', '1e39', '--no-report']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /loss or its gradient became NaN\/Inf at iteration 1/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')), []);
});

test('sample writes a CSV with an x0,x1 header and n rows, and a KL curve with one row per flow step and the start', () => {
  const out = path.join(path.dirname(run), 's.csv');
  const kl = path.join(path.dirname(run), 'kl.csv');
  const r = runCli(['sample', '--run', run, '--n', '50', '--out', out, '--kl-curve', kl, '--seed', '3']);
  assert.equal(r.code, 0, r.stderr);
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'x0,x1');
  assert.equal(rows.length, 51);
  assert.ok(rows.slice(1).every((l) => l.split(',').length === 2 && l.split(',').every((v) => Number.isFinite(Number(v)))));
  const klRows = fs.readFileSync(kl, 'utf8').trim().split('\n');
  assert.equal(klRows[0], 'step,kl_estimate');
  const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).config;
  assert.equal(klRows.length, 1 + cfg.flowSteps + cfg.sampleExtraSteps + 1, 'header + K + κ + 1 rows');
  // same seed → same samples
  const again = path.join(path.dirname(run), 's2.csv');
  runCli(['sample', '--run', run, '--n', '50', '--out', again, '--seed', '3']);
  assert.equal(fs.readFileSync(again, 'utf8'), fs.readFileSync(out, 'utf8'));
});

test('eval prints one JSON object with mmd, energy, sliced_w and kl_estimate', () => {
  const r = runCli(['eval', '--run', run, '--n', '200']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const k of ['mmd', 'energy', 'sliced_w', 'kl_estimate']) assert.equal(typeof j[k], 'number', k);
  assert.equal(j.iteration, 6);
});

test('info and --help work for every command', () => {
  const info = runCli(['info', '--json']);
  assert.equal(info.code, 0);
  const facts = JSON.parse(info.stdout);
  assert.equal(facts.backend, 'wasm');
  assert.equal(facts.engine, 'ort');
  assert.equal(facts.ort.provider, 'cpu');
  assert.match(runCli(['info']).stdout, /^engine {7}ort: ONNX Runtime \d+\.\d+\.\d+, CPU execution provider, \d+ threads? /m);
  const tfjs = runCli(['info', '--engine', 'tfjs', '--json']);
  assert.equal(JSON.parse(tfjs.stdout).engine, 'tfjs');
  const bad = runCli(['info', '--engine', 'onnx']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--engine.*'onnx'/);
  for (const c of ['demo', 'train', 'sample', 'eval', 'info']) {
    const h = runCli([c, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`Usage: dggf ${c}`));
  }
});

test('a run folder is locked while it trains; a lock left by a dead process is taken over', () => {
  const lock = path.join(run, '.lock');
  // a lock as a live trainer holds it: this test process's pid, host and start time
  fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), start: processStartTime(process.pid), token: 'test' }));
  const before = snapshot(run);
  expectUsageError(['train', '--out', run, '--iterations', '7'], /being trained by another process \(pid \d+\)/);
  assert.deepEqual(snapshot(run), before);
  fs.writeFileSync(lock, '999999999'); // no such process
  const r = runCli(['train', '--out', run, '--iterations', '7', '--no-report']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!fs.existsSync(lock), 'the lock is released at the end');
  assert.ok(fs.existsSync(path.join(run, 'checkpoints', 'iter-0000007.ckpt')));
});

test('3-D CSV data trains, samples with a 3-column header, and reports on the first two coordinates', () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${Math.cos(i)},${Math.sin(i)},${(i % 7) / 7}`);
  const csv = tmpFile('three.csv', 'a,b,c\n' + rows.join('\n') + '\n');
  const dir = path.join(tempDir('three'), 'run');
  const r = runCli(['train', '--data', csv, '--out', dir, ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'report.html')));
  assert.match(fs.readFileSync(path.join(dir, 'report.html'), 'utf8'), /coordinates x0, x1 of 3/);
  const out = path.join(path.dirname(dir), 's.csv');
  assert.equal(runCli(['sample', '--run', dir, '--n', '5', '--out', out]).code, 0);
  assert.equal(fs.readFileSync(out, 'utf8').split('\n')[0], 'x0,x1,x2');
  expectUsageError(['sample', '--run', dir, '--n', '5', '--out', out, '--png', path.join(path.dirname(dir), 'p.png')], /2-D points; this run is 3-D/);
});

test('--prior data-gmm: a mixture fitted to the data is stored in config.json; the run samples and resumes from it', () => {
  const dir = path.join(tempDir('gmm'), 'run');
  const r = runCli(['train', '--data', '25gaussians', '--out', dir, ...TINY, '--prior', 'data-gmm', '--prior-components', '5', '--no-report']);
  assert.equal(r.code, 0, r.stderr);
  const stored = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(stored.config.priorComponents, 5);
  assert.equal(stored.derived.prior.name, 'data-gmm');
  assert.equal(stored.derived.prior.weights.length, 5);
  assert.equal(stored.derived.prior.chols.length, 5 * 4);
  const weights = stored.derived.prior.weights as number[];
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const out = path.join(path.dirname(dir), 's.csv');
  assert.equal(runCli(['sample', '--run', dir, '--n', '50', '--out', out]).code, 0);
  assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 51);
  // more iterations on the same run: the stored prior is used, not fitted again
  const more = runCli(['train', '--data', '25gaussians', '--out', dir, ...TINY.map((v, i) => (TINY[i - 1] === '--iterations' ? '9' : v)), '--no-report']);
  assert.equal(more.code, 0, more.stderr);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).derived.prior, stored.derived.prior);
});

test('a finished run run again says it is already complete and keeps its report; --report writes the report again', () => {
  const run = tempDir('complete');
  const args = ['train', '--data', 'moons', '--out', run, '--iterations', '6', '--log-every', '3'];
  const first = runCli(args);
  assert.equal(first.code, 0, first.stderr);
  const report = path.join(run, 'report.html');
  const written = fs.statSync(report).mtimeMs;
  const again = runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /train: already complete \(6 iterations\); nothing to train/);
  assert.doesNotMatch(again.stderr + again.stdout, /done, 6 iterations/);
  assert.match(again.stdout, /already written; --report writes it again/);
  assert.equal(fs.statSync(report).mtimeMs, written, 'the report is not rewritten');
  const forced = runCli([...args, '--report']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /MMD .* fresh data/);
  assert.ok(fs.statSync(report).mtimeMs > written, '--report rewrites it');
});
