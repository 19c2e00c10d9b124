/**
 * [slow] Full and read-only file systems for real (issue 20, items 2 and 8): a 300 KB tmpfs
 * and a read-only tmpfs, mounted for the test (root only; skipped, saying why, elsewhere —
 * test/unit/safe-write.test.ts injects the same faults without mounting).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';

const mounts: string[] = [];

/** A fresh tmpfs with `options` (e.g. size=300k, or ro), or null when this process may not mount. */
function mountTmpfs(options: string): string | null {
  const at = tempDir('mnt');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmdirSync(at);
    return null;
  }
  mounts.push(at);
  return at;
}

let small: string | null = null;
let readOnly: string | null = null;
let run: string;
const why = 'cannot mount a tmpfs here (needs root): test/unit/safe-write.test.ts covers these with injected faults';

before(() => {
  small = mountTmpfs('size=300k');
  readOnly = mountTmpfs('ro,size=64k');
  run = path.join(tempDir('fulldisk'), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', run, '--iterations', '20', '--checkpoint-every', '10', '--no-report']);
  assert.equal(r.code, 0, r.stderr);
});

after(() => {
  for (const m of mounts) {
    spawnSync('umount', [m]);
    fs.rmdirSync(m);
  }
});

/** No temporary file and no lock anywhere under `dir`. */
function noLeftovers(dir: string): void {
  const all = fs.readdirSync(dir, { recursive: true }).map(String);
  assert.deepEqual(all.filter((f) => f.endsWith('.tmp') || path.basename(f) === '.lock'), [], all.join(', '));
}

test('[slow] sample --gif onto a 300 KB file system: exit 4, one line naming the GIF, no GIF (the issue saw exit 0 and 53 KB of a 419 KB GIF)', { skip: !small && why }, () => {
  const gif = path.join(small!, 'flow.gif');
  const out = path.join(path.dirname(run), 's.csv');
  const r = runCli(['sample', '--run', run, '--n', '2000', '--out', out, '--gif', gif]);
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`dggf: error: cannot write ${gif}: no space left on the device (ENOSPC); no file was left under that name`]);
  assert.ok(!fs.existsSync(gif));
  noLeftovers(small!);
});

test('[slow] train --out on a 300 KB file system: exit 4, one line, every checkpoint left reads back, no torn file, no lock', { skip: !small && why }, () => {
  const out = path.join(small!, 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', out, '--iterations', '200', '--checkpoint-every', '5', '--no-report']);
  assert.equal(r.code, 4, r.stderr);
  const lines = errorLines(r.stderr).filter((l) => l.startsWith('dggf:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^dggf: error: cannot (write|append to) ${small}/run/\\S+: no space left on the device \\(ENOSPC\\)`));
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  const ckpts = fs.readdirSync(path.join(out, 'checkpoints'));
  assert.ok(ckpts.length >= 1, 'some checkpoints fitted');
  for (const c of ckpts) readCheckpoint(path.join(out, 'checkpoints', c)); // throws on a torn file
  noLeftovers(small!);
});

test('[slow] a read-only mount: --out says EROFS (not ENOENT), --kl-curve is refused before any sample is written', { skip: !readOnly && why }, () => {
  const out = path.join(readOnly!, 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', out, '--iterations', '5', '--no-report']);
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`dggf: error: cannot create the folder ${out}: the file system is read-only (EROFS); cannot create the run folder ${out}`]);
  const samples = path.join(path.dirname(run), 'ro-samples.csv');
  const kl = runCli(['sample', '--run', run, '--n', '100', '--out', samples, '--kl-curve', path.join(readOnly!, 'kl.csv')]);
  assert.equal(kl.code, 4, kl.stderr);
  assert.deepEqual(errorLines(kl.stderr), [`dggf: error: cannot write ${path.join(readOnly!, 'kl.csv')}: the file system is read-only (EROFS); nothing was written`]);
  assert.ok(!fs.existsSync(samples), 'refused before the samples were written');
});
