/**
 * Size limits (issue 20, item 4), each with a one-line error naming the file or option before
 * the work it would make too big starts: point dimensions (CSV columns), image pixels (read
 * from the PNG/JPEG header, before decoding), sample counts. The flat memory of a large
 * `sample --n` (streamed in batches) is measured in test/slow/sample-memory.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeImageBytes } from '../../src/data/images/decode.js';
import { loadCsvPoints } from '../../src/data/csv.js';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';
import { assertDataError } from '../helpers/assert.js';
import { claimSize, validJpeg, validPng } from '../helpers/inputs.js';

const pngClaiming = (w: number, h: number): Buffer => claimSize(validPng(1, 1), w, h);

const TINY = ['--iterations', '4', '--flow-steps', '2', '--batch', '16', '--hidden', '8', '--depth', '1', '--checkpoint-every', '2', '--no-report'];

function expectOneLine(args: string[], code: number, pattern: RegExp): void {
  const r = runCli(args, { timeoutMs: 60_000 });
  assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(-500)}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

test('a CSV with more columns than a point may have is refused on its first row', () => {
  const dir = tempDir('wide');
  const file = path.join(dir, 'wide.csv');
  const row = (v: number) => Array.from({ length: 5000 }, () => v).join(',');
  fs.writeFileSync(file, `${row(1)}\n${row(2)}\n`);
  assertDataError(() => loadCsvPoints(file), file, 'line 1: 5000 columns, more than the 4096 coordinates a point may have');
  const out = path.join(dir, 'run');
  expectOneLine(['train', '--data', file, '--out', out, ...TINY], 2, /^dggf: error: \S+wide\.csv line 1: 5000 columns, more than the 4096/);
  assert.ok(!fs.existsSync(out), 'no run folder (no .lock, no config.json) is left');
});

test('an image larger than 50 megapixels is refused from its header, before decoding (PNG and JPEG)', () => {
  const huge = pngClaiming(20000, 20000);
  assert.ok(huge.length < 200, 'a tiny file');
  const t0 = performance.now();
  assertDataError(() => decodeImageBytes(huge, 'huge.png'), 'huge.png: 20000×20000 pixels (400.0 megapixels), more than the 50 megapixels');
  assertDataError(() => decodeImageBytes(pngClaiming(8000, 8000), 'big.png'), 'big.png: 8000×8000 pixels (64.0 megapixels)');
  assertDataError(() => decodeImageBytes(claimSize(validJpeg(8, 8), 10000, 6000), 'big.jpg'), 'big.jpg: 10000×6000 pixels (60.0 megapixels)');
  assert.ok(performance.now() - t0 < 1000, 'refused without decoding');
  // a folder holding one: one line naming the file
  const dir = tempDir('huge-img');
  const data = path.join(dir, 'images');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'huge.png'), huge);
  expectOneLine(['train', '--data', data, '--preset', 'emoji-cpu', '--size', '8', '--out', path.join(dir, 'run'), '--iterations', '2', '--no-report'], 2, /^dggf: error: \S+huge\.png: 20000×20000 pixels/);
});

test('sample --n and eval --n beyond their limits: one line, exit 2, before any work', () => {
  const dir = tempDir('counts');
  const run = path.join(dir, 'run');
  assert.equal(runCli(['train', '--data', '8gaussians', '--out', run, ...TINY]).code, 0);
  expectOneLine(['sample', '--run', run, '--n', '100000001', '--out', path.join(dir, 's.csv')], 2, /^dggf: error: --n 100000001: at most 100000000 points per call/);
  expectOneLine(['sample', '--run', run, '--n', '1000000000', '--out', path.join(dir, 's.csv')], 2, /^dggf: error: --n 1000000000: at most 100000000 points/);
  expectOneLine(['eval', '--run', run, '--n', '20001'], 2, /^dggf: error: --n 20001: at most 20000 points \(MMD and the energy distance compare every pair/);
  assert.deepEqual(fs.readdirSync(dir), ['run']);
  // an image run: one PNG per image (it failed with "Invalid typed array length")
  const images = path.join(dir, 'images');
  fs.mkdirSync(images);
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(images, `${i}.png`), validPng(8, 8));
  const imageRun = path.join(dir, 'image-run');
  assert.equal(runCli(['train', '--data', images, '--preset', 'emoji-cpu', '--size', '8', '--batch', '4', '--out', imageRun, '--iterations', '1', '--no-report']).code, 0);
  expectOneLine(['sample', '--run', imageRun, '--n', '100000000', '--out', path.join(dir, 'imgs')], 2, /^dggf: error: --n 100000000: at most 1000000 images per call/);
  assert.ok(!fs.existsSync(path.join(dir, 'imgs')));
});
