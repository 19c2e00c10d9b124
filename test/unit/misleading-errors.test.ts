/**
 * Misleading errors (issue 20, item 8) that are not about writing files (those are in
 * safe-write.test.ts and test/slow/full-disk.test.ts): a key given twice in --config, and
 * data whose spread is tiny (standardised by its real spread) or nil (refused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';
import { Rng } from '../../src/util/rng.js';

const TINY = ['--iterations', '4', '--flow-steps', '2', '--batch', '16', '--hidden', '8', '--depth', '1', '--checkpoint-every', '2', '--no-report'];

function csv(dir: string, name: string, rows: [number, number][]): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, 'x,y\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
  return f;
}

test('a field given twice in --config is refused, naming the field and its line', () => {
  const dir = tempDir('dup');
  const cfg = path.join(dir, 'c.json');
  fs.writeFileSync(cfg, '{\n  "lr": 0.001,\n  "iterations": 4,\n  "lr": 5\n}\n');
  const r = runCli(['train', '--data', '8gaussians', '--out', path.join(dir, 'run'), '--config', cfg, ...TINY]);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`dggf: error: ${cfg} line 4: field 'lr' is given twice, expected each field once`]);
  assert.ok(!fs.existsSync(path.join(dir, 'run')));
  fs.writeFileSync(cfg, '{"net": {"hidden": 8, "hidden": 16}}');
  const nested = runCli(['train', '--data', '8gaussians', '--out', path.join(dir, 'run'), '--config', cfg, ...TINY]);
  assert.deepEqual(errorLines(nested.stderr), [`dggf: error: ${cfg} line 1: field 'net.hidden' is given twice, expected each field once`]);
});

test('a coordinate with a spread of 1e-13 is standardised by that spread, not by 1', () => {
  const dir = tempDir('spread');
  const rng = new Rng(3);
  const rows = Array.from({ length: 300 }, () => [rng.normal(), 1e-13 * rng.normal()] as [number, number]);
  const run = path.join(dir, 'run');
  const r = runCli(['train', '--data', csv(dir, 'tiny-spread.csv', rows), '--out', run, ...TINY]);
  assert.equal(r.code, 0, r.stderr);
  const std = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).derived.normalizer.std as number[];
  assert.ok(Math.abs(std[0] - 1) < 0.2, `x: ${std[0]}`);
  assert.ok(std[1] > 0.5e-13 && std[1] < 2e-13, `y is scaled by its own spread, got ${std[1]}`);
});

test('a coordinate whose values are all equal (to float32 precision) is refused with one line, not standardised by 1', () => {
  const dir = tempDir('constant');
  const rng = new Rng(4);
  // 0.5 + 1e-13 is 0.5 in float32: the column is constant
  const rows = Array.from({ length: 300 }, () => [rng.normal(), 0.5 + 1e-13 * rng.normal()] as [number, number]);
  const file = csv(dir, 'flat.csv', rows);
  const r = runCli(['train', '--data', file, '--out', path.join(dir, 'run'), ...TINY]);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [
    `dggf: error: ${file}: column 2 has a spread of 0.0 around 0.500000: its values are all equal to float32 precision, so standardising it would divide by ~0; drop the column, or train with --no-normalize`,
  ]);
  assert.ok(!fs.existsSync(path.join(dir, 'run')));
  assert.equal(runCli(['train', '--data', file, '--out', path.join(dir, 'raw'), '--no-normalize', ...TINY]).code, 0, 'trains without standardising');
});
