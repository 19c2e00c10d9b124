/**
 * Interrupts (issue 20, item 3): Ctrl-C on a terminal and SIGTERM through a pipe both stop
 * `dggf train` after the current iteration with a checkpoint of it, one line saying so, and exit
 * 130 / 143; the run then resumes from that iteration and ends bit-identical to an uninterrupted
 * one. The terminal case runs under a pty (util-linux `script`), and Ctrl-C is typed into it
 * (the byte 0x03), so the terminal driver sends SIGINT as it does for a person.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, runCli, spawnCli, tempDir } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';

const LONG = ['--data', '8gaussians', '--flow-steps', '3', '--batch', '32', '--hidden', '8', '--depth', '1', '--log-every', '1', '--no-report', '--seed', '5'];
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Iterations logged so far in a run folder's metrics.jsonl. */
function logged(dir: string): number {
  const f = path.join(dir, 'metrics.jsonl');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).length : 0;
}

async function until(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The interrupt line and its checkpoint: checks the file holds exactly the iteration the line names. */
function checkStopped(output: string, dir: string, signal: string): number {
  const m = new RegExp(`train: stopped by ${signal} at iteration (\\d+); checkpoint written \\((\\S+)\\); run the same command again to resume`).exec(output);
  assert.ok(m, `a line saying where it stopped, got:\n${output.slice(-600)}`);
  const it = Number(m[1]);
  assert.ok(it >= 20, `stopped at ${it}, after the 20 iterations waited for`);
  assert.equal(m[2], path.join(dir, 'checkpoints', `iter-${String(it).padStart(7, '0')}.ckpt`));
  assert.equal(readCheckpoint(m[2]).iteration, it);
  assert.ok(logged(dir) >= it, 'the metrics reach the checkpoint');
  assert.ok(!fs.existsSync(path.join(dir, '.lock')), 'the lock is released');
  return it;
}

for (const engine of ['tfjs', 'ort']) {
  test(`Ctrl-C on a terminal (pty, progress bar, --engine ${engine}): checkpoint of the current iteration, one line, exit 130`, { skip: !hasScript && 'util-linux script is not installed' }, async () => {
    const dir = path.join(tempDir(`pty-${engine}`), 'run');
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = ['exec', process.execPath, BIN, 'train', '--out', dir, '--iterations', '100000', '--checkpoint-every', '100000', '--engine', engine, ...LONG].map(quote).join(' ');
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CI: 'false' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => logged(dir) >= 20 || child.exitCode !== null, '20 iterations');
    child.stdin.write('\x03'); // Ctrl-C, typed
    const code = await Promise.race([exited, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 60_000))]);
    if (code === 'late') {
      spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
      child.kill('SIGKILL');
      assert.fail(`still training 60 s after Ctrl-C:\n${output.replace(/\r/g, '\n').slice(-300)}`);
    }
    assert.match(output, /\d+\/100000 \| loss/, 'the progress bar was drawn (a terminal)');
    assert.equal(code, 130, output.slice(-600));
    checkStopped(output.replace(/\r/g, ''), dir, 'SIGINT');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).length, 1);
  });
}

test('SIGTERM with output to a pipe: checkpoint, one line, exit 143; resumed, the run ends bit-identical to an uninterrupted one', async () => {
  const base = tempDir('sigterm');
  const dir = path.join(base, 'killed');
  const whole = path.join(base, 'whole');
  const args = ['--iterations', '3000', '--checkpoint-every', '1000', ...LONG];
  const child = spawnCli(['train', '--out', dir, ...args]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await until(() => logged(dir) >= 20, '20 iterations');
  child.kill('SIGTERM');
  assert.equal(await exited, 143, stderr);
  const stopLines = stderr.split('\n').filter((l) => /stopped by/.test(l));
  assert.equal(stopLines.length, 1, stderr);
  const it = checkStopped(stderr, dir, 'SIGTERM');
  assert.ok(it < 3000, 'stopped before the end');

  const again = runCli(['train', '--out', dir, ...args]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`resuming from iteration ${it} of 3000`));
  const r = runCli(['train', '--out', whole, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const a = readCheckpoint(path.join(whole, 'checkpoints', 'iter-0003000.ckpt'));
  const b = readCheckpoint(path.join(dir, 'checkpoints', 'iter-0003000.ckpt'));
  assert.deepEqual(b.rng, a.rng);
  a.tensors.forEach((t, i) => assert.deepEqual(b.tensors[i].values, t.values, t.name));
});
