/**
 * Silent fallbacks (issue 20, item 6): sample and eval say which checkpoint they skipped;
 * train refuses to start over from iteration 0 when every checkpoint is unreadable, leaving
 * them as they are; a `.lock` holding the pid of a live process that is not training the run
 * (a reused pid) is taken over, with a line saying so.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorLines, runCli, snapshot, tempDir } from '../helpers/cli.js';

const TINY = ['--iterations', '6', '--flow-steps', '3', '--batch', '32', '--hidden', '8', '--depth', '1', '--checkpoint-every', '3', '--log-every', '1'];

/** A trained run folder with checkpoints at iterations 3 and 6. */
function trainedRun(name: string): string {
  const dir = path.join(tempDir(name), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', dir, ...TINY, '--no-report']);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

/** Flips one byte of a checkpoint's data (its checksum no longer matches). */
function corrupt(file: string): void {
  const b = fs.readFileSync(file);
  b[b.length - 5] ^= 0xff;
  fs.writeFileSync(file, b);
}

let run: string;
before(() => {
  run = trainedRun('fallback');
  corrupt(path.join(run, 'checkpoints', 'iter-0000006.ckpt'));
});

test('sample and eval name the checkpoint they skipped and the one they use', () => {
  const skipped = path.join(run, 'checkpoints', 'iter-0000006.ckpt');
  const used = path.join(run, 'checkpoints', 'iter-0000003.ckpt');
  const expected = `dggf: warning: skipped 1 unreadable checkpoint (${skipped}: checksum mismatch (corrupt file)); using ${used} (iteration 3)`;
  const s = runCli(['sample', '--run', run, '--n', '20', '--out', path.join(path.dirname(run), 's.csv')]);
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual(errorLines(s.stderr), [expected]);
  const e = runCli(['eval', '--run', run, '--n', '50']);
  assert.equal(e.code, 0, e.stderr);
  assert.deepEqual(errorLines(e.stderr), [expected]);
  assert.equal(JSON.parse(e.stdout).iteration, 3);
});

test('train refuses to start over when every checkpoint is unreadable, and leaves the folder as it was', () => {
  const dir = trainedRun('all-corrupt');
  for (const f of ['iter-0000003.ckpt', 'iter-0000006.ckpt']) corrupt(path.join(dir, 'checkpoints', f));
  const before = snapshot(dir);
  const r = runCli(['train', '--out', dir, '--iterations', '9', '--no-report']);
  assert.equal(r.code, 2, r.stderr);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^dggf: error: none of the 2 checkpoints in \S+checkpoints reads back \(.*iter-0000006\.ckpt: checksum mismatch.*iter-0000003\.ckpt: checksum mismatch.*\); refusing to start this run over from iteration 0/);
  assert.deepEqual(snapshot(dir), before);
});

test('a .lock holding the pid of a live process that is not a dggf trainer is taken over, with a line saying so', { skip: process.platform !== 'linux' && 'process start times come from /proc (Linux)' }, async () => {
  const dir = trainedRun('stale-lock');
  const lock = path.join(dir, '.lock');
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    // a lock of an older dggf: a bare pid, here of a live, unrelated process
    fs.writeFileSync(lock, String(stranger.pid));
    const r = runCli(['train', '--out', dir, '--iterations', '7', '--no-report']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`took over the stale lock ${lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: pid ${stranger.pid} is a live process, but not a dggf command \\(sleep 60\\)`));
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'iter-0000007.ckpt')));
    // a lock of this version whose pid now belongs to a process started at another time
    fs.writeFileSync(lock, JSON.stringify({ pid: stranger.pid, host: os.hostname(), start: 'another-boot:1', token: 'x' }));
    const r2 = runCli(['train', '--out', dir, '--iterations', '8', '--no-report']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, new RegExp(`pid ${stranger.pid} now belongs to another process, started after the lock was written`));
    assert.ok(!fs.existsSync(lock), 'the lock is released at the end');
  } finally {
    stranger.kill();
  }
});
