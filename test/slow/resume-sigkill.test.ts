/**
 * [slow] A run killed with SIGKILL mid-way and started again with the same command ends with
 * weights identical (bit for bit) to an uninterrupted run with the same seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { readMetrics } from '../../src/train/run-folder.js';

const ARGS = ['--data', '2spirals', '--iterations', '150', '--flow-steps', '10', '--batch', '64', '--hidden', '32', '--checkpoint-every', '10', '--log-every', '5', '--seed', '4', '--no-report'];

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('[slow] SIGKILL mid-run, re-run: final weights identical to an uninterrupted run', async () => {
  const base = tempDir('sigkill');
  const whole = path.join(base, 'whole');
  const killed = path.join(base, 'killed');
  const r = runCli(['train', '--out', whole, ...ARGS]);
  assert.equal(r.code, 0, r.stderr);

  const child = spawnCli(['train', '--out', killed, ...ARGS]);
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  const ck = path.join(killed, 'checkpoints');
  await waitFor(() => fs.existsSync(ck) && fs.readdirSync(ck).some((f) => f >= 'iter-0000040.ckpt'), 120_000);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const left = fs.readdirSync(ck).filter((f) => f.endsWith('.ckpt'));
  assert.ok(!left.includes('iter-0000150.ckpt'), 'killed before the end');

  const again = runCli(['train', '--out', killed, ...ARGS]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming from iteration \d+ of 150/);

  const a = readCheckpoint(path.join(whole, 'checkpoints', 'iter-0000150.ckpt'));
  const b = readCheckpoint(path.join(killed, 'checkpoints', 'iter-0000150.ckpt'));
  assert.deepEqual(b.rng, a.rng);
  assert.equal(b.adamStep, a.adamStep);
  for (let i = 0; i < a.tensors.length; i++) {
    assert.equal(b.tensors[i].name, a.tensors[i].name);
    assert.ok(
      Buffer.compare(Buffer.from(b.tensors[i].values.buffer, b.tensors[i].values.byteOffset, b.tensors[i].values.byteLength),
        Buffer.from(a.tensors[i].values.buffer, a.tensors[i].values.byteOffset, a.tensors[i].values.byteLength)) === 0,
      `${a.tensors[i].name} differs`,
    );
  }
  const its = readMetrics(path.join(killed, 'metrics.jsonl')).map((l) => l.iteration);
  assert.deepEqual(its, Array.from({ length: 30 }, (_, i) => 5 * (i + 1)), 'each logged iteration once, in order');
  assert.ok(fs.readdirSync(ck).every((f) => !f.endsWith('.tmp')), 'no temp files left');
});
