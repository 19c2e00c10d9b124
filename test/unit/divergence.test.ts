/**
 * Finite blow-ups (issue 20, item 7): a loss or gradient norm 10⁶× above its running median
 * stops training before the update, with exit code 3 and the last good checkpoint kept, as a
 * NaN does. `--lr 1` … `--lr 7` used to end with exit 0 and samples near ±5e10.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { resolveDataset } from '../../src/data/index.js';
import type { PointDataset } from '../../src/data/types.js';
import { trainRun, type TrainEvent } from '../../src/train/run.js';
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

test('trainRun: data that jumps 10⁸× mid-run stops training (status diverged), keeping the last good checkpoint untouched', async () => {
  await initEngine('wasm');
  const { config, explicitKeys } = resolveConfig({
    overrides: { data: '8gaussians', iterations: 12, flowSteps: 4, batch: 32, net: { hidden: 16, depth: 1 }, checkpointEvery: 4, logEvery: 2, previewEvery: 0 },
    defaults: {},
  });
  const base = resolveDataset('8gaussians');
  let calls = 0;
  // deriveSetup draws once; training batches from the 7th on are 10⁸× larger (finite)
  const jumping: PointDataset = {
    name: 'jumping',
    dim: 2,
    sample(n, rng) {
      calls++;
      const x = base.sample(n, rng);
      if (calls > 7) for (let i = 0; i < x.length; i++) x[i] *= 1e8;
      return x;
    },
  };
  const dir = path.join(tempDir('explode'), 'run');
  const events: TrainEvent[] = [];
  const r = await trainRun({ dir, config, explicitKeys, dataset: jumping, onEvent: (e) => events.push(e) });
  assert.equal(r.status, 'diverged');
  assert.equal(r.iteration, 6, 'the 7th step was not applied');
  const d = events.find((e) => e.type === 'diverged');
  assert.ok(d && d.type === 'diverged');
  assert.match(d.reason, /jumped to .*× its running median .* at iteration 7$/);
  assert.equal(d.keptCheckpoint, path.join(dir, 'checkpoints', 'iter-0000004.ckpt'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')), ['iter-0000004.ckpt']);
  assert.ok(readCheckpoint(d.keptCheckpoint!).tensors.every((t) => t.values.every((v) => Number.isFinite(v) && Math.abs(v) < 100)));
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
