/**
 * Progress through a pipe (issue 21): `dggf eval` used to print nothing until its JSON (50 s on
 * MNIST). Here its flow is made long (--flow-steps 400) and the pipe interval short
 * (DGGF_PROGRESS_INTERVAL=0.25): stderr must carry a line at least every interval (plus slack
 * for a shared machine) from the first progress line to the last, name the phases with their
 * counts, and end each phase that printed with one line; stdout stays the JSON alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';

/** Runs the command, timing each stderr line as it arrives. */
async function timedLines(args: string[], env: Record<string, string>): Promise<{ code: number | null; lines: { t: number; text: string }[]; stdout: string }> {
  const child = spawnCli(args, env);
  const lines: { t: number; text: string }[] = [];
  let partial = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => {
    const t = performance.now();
    const parts = (partial + String(d)).split('\n');
    partial = parts.pop()!;
    for (const text of parts) if (text.trim()) lines.push({ t, text });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, lines, stdout };
}

test('dggf eval in a pipe: a progress line at least every DGGF_PROGRESS_INTERVAL while it samples and measures, each phase closed by one line', async () => {
  const run = path.join(tempDir('progress-eval'), 'run');
  const trained = runCli(['train', '--data', '8gaussians', '--out', run, '--iterations', '4', '--flow-steps', '5', '--hidden', '16', '--depth', '1', '--no-report']);
  assert.equal(trained.code, 0, trained.stderr);
  const r = await timedLines(['eval', '--run', run, '--n', '1000', '--flow-steps', '400'], { DGGF_PROGRESS_INTERVAL: '0.25' });
  assert.equal(r.code, 0, r.lines.map((l) => l.text).join('\n'));
  const text = r.lines.map((l) => l.text).join('\n');
  const progress = r.lines.filter((l) => l.text.startsWith('eval: '));
  assert.ok(progress.length >= 4, `at least 4 progress lines, got:\n${text}`);
  assert.match(text, /^eval: flowing samples \d+\/10000 points \(\d+%\), /m, 'the flow is named with its count');
  assert.match(text, /^eval: flowing samples: 10000 points in \d+s$/m, 'and closed with one line');
  const gaps = progress.slice(1).map((l, i) => (l.t - progress[i].t) / 1000);
  const worst = Math.max(...gaps);
  // 0.25 s asked, the bound is 5 s: what is left is for synchronous work (building the
  // flow's graph: 2.9 s measured while 7 jobs shared 2 cores)
  assert.ok(worst < 4.5, `largest gap between progress lines ${worst.toFixed(2)} s, expected < 4.5 s:\n${text}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, 1000);
});
