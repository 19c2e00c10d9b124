/**
 * Finite blow-ups (issue 20, item 7): a loss or gradient norm 10⁶× above its running median
 * stops training before the update, with exit code 3 and the last good checkpoint kept, as a
 * NaN does. `--lr 1` … `--lr 7` used to end with exit 0 and samples near ±5e10. (The run-level
 * test, data that jumps mid-run, is next to the NaN one in train.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';

test('the explosion watch: quiet for noise and slow trends, trips at 10⁶× the running median of the loss or the gradient norm', async () => {
  const { ExplosionWatch } = await import('../../src/train/explosion.js');
  const w = new ExplosionWatch();
  for (let i = 0; i < 300; i++) assert.equal(w.check(1.38 + 0.01 * Math.sin(i), 0.05 * (1 + (i % 7))), null);
  // a loss that grows 10× per iteration is caught once it is 10⁶× the median of the window
  const g = new ExplosionWatch();
  let tripped = -1;
  for (let i = 0; i < 20 && tripped < 0; i++) if (g.check(10 ** i, 0.1)) tripped = i;
  assert.ok(tripped > 6 && tripped < 14, `tripped at ${tripped}`);
  assert.match(new ExplosionWatch().check(1, 0.1) ?? 'first value passes', /first value passes/);
  const h = new ExplosionWatch();
  h.check(1.4, 0.06);
  assert.match(h.check(1.5, 1e5) ?? '', /^the gradient norm jumped to 1\.00e\+5, 1\.67e\+6× its running median 6\.00e-2/);
  assert.match(h.check(-3e6, 0.06) ?? '', /^the loss jumped to -3\.00e\+6/);
});

test('dggf train --lr 1: stops at the blow-up with exit 3 and says why (it ended with exit 0 and samples near ±5e10)', () => {
  const dir = path.join(tempDir('lr1'), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', dir, '--lr', '1', '--iterations', '40', '--checkpoint-every', '2', '--no-report']);
  assert.equal(r.code, 3, r.stderr.slice(-800));
  const stop = errorLines(r.stderr).filter((l) => /stopped/.test(l));
  assert.equal(stop.length, 1, r.stderr);
  assert.match(stop[0], /^train: stopped: the (loss|gradient norm) jumped to \S+, \S+× its running median \S+ \(more than 1\.00e\+6×\) at iteration \d+; the last good checkpoint is kept \(\S+iter-0000002\.ckpt\)\. Start a new run \(--out\) with a smaller --eta or --lr\.$/);
  const kept = readCheckpoint(path.join(dir, 'checkpoints', 'iter-0000002.ckpt'));
  assert.ok(kept.tensors.every((t) => t.values.every(Number.isFinite)));
});
