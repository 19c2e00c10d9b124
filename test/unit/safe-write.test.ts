/**
 * Safe writes (issue 20, item 2): every write's byte count is checked, the file fsynced and
 * renamed into place; ENOSPC and EROFS end in one line naming the file, exit code 4, and no
 * torn file under a final name. Faults are injected (in-process with node:test mocks, and in
 * the CLI with test/helpers/fault-fs.mjs); test/slow/full-disk.test.ts does the same on a real
 * 300 KB tmpfs and a read-only mount where mounting is allowed.
 */
import { test, before, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../src/util/fs-atomic.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';

const TINY = ['--iterations', '30', '--flow-steps', '3', '--batch', '32', '--hidden', '8', '--depth', '1', '--checkpoint-every', '10', '--log-every', '5'];

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-write-'));
const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
/** The write error of this version (FileWriteError), by name: the regression tests also run against builds without it. */
const isWriteError = (e: unknown, code: string): e is Error & { code: string } =>
  e instanceof Error && e.name === 'FileWriteError' && (e as { code?: string }).code === code && !e.message.includes('\n');

afterEach(() => mock.restoreAll());

test('short writes are continued until every byte is on disk (the file is never cut at the first write)', () => {
  const dir = tmp();
  const file = path.join(dir, 'big.bin');
  const data = Buffer.alloc(100_000, 7);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  const real = fs.writeSync;
  // a device that takes at most 1000 bytes per call
  mock.method(fs, 'writeSync', (fd: number, buf: Uint8Array, offset = 0, length = buf.byteLength - offset) =>
    real(fd, buf, offset, Math.min(length, 1000)),
  );
  writeFileAtomic(file, data);
  mock.restoreAll();
  assert.deepEqual(fs.readFileSync(file), data);
  assert.deepEqual(fs.readdirSync(dir), ['big.bin']);
});

test('ENOSPC mid-file: a FileWriteError naming the file; a new file is absent, an old one keeps its content; no temporary file', () => {
  const dir = tmp();
  const fresh = path.join(dir, 'fresh.bin');
  const old = path.join(dir, 'old.bin');
  fs.writeFileSync(old, 'previous content');
  const real = fs.writeSync;
  let calls = 0;
  mock.method(fs, 'writeSync', (fd: number, buf: Uint8Array, offset = 0, length = buf.byteLength - offset) => {
    if (++calls > 1) throw enospc();
    return real(fd, buf, offset, Math.min(length, 500)); // the disk fills after 500 bytes
  });
  for (const [file, left] of [
    [fresh, /no file was left under that name/],
    [old, /its previous version is unchanged/],
  ] as const) {
    calls = 0;
    assert.throws(
      () => writeFileAtomic(file, Buffer.alloc(5000, 1)),
      (e: unknown) => isWriteError(e, 'ENOSPC') && e.message.includes(file) && /no space left/.test(e.message) && left.test(e.message),
    );
  }
  mock.restoreAll();
  assert.ok(!fs.existsSync(fresh));
  assert.equal(fs.readFileSync(old, 'utf8'), 'previous content');
  assert.deepEqual(fs.readdirSync(dir), ['old.bin']);
});

test('AtomicFile streams chunks and appears only on commit; abort leaves nothing', async () => {
  const { AtomicFile } = await import('../../src/util/fs-atomic.js');
  const dir = tmp();
  const file = path.join(dir, 'stream.txt');
  const out = new AtomicFile(file);
  out.write('a,b\n');
  out.write(new Uint8Array([0x31, 0x2c, 0x32, 0x0a]));
  assert.ok(!fs.existsSync(file), 'not under its name before commit');
  out.commit();
  assert.equal(fs.readFileSync(file, 'utf8'), 'a,b\n1,2\n');
  const dropped = new AtomicFile(path.join(dir, 'dropped.txt'));
  dropped.write('x');
  dropped.abort();
  assert.deepEqual(fs.readdirSync(dir), ['stream.txt']);
});

test('a read-only folder: the error names it with EROFS (a recursive mkdir would say ENOENT)', async () => {
  const { appendChecked, ensureDir } = await import('../../src/util/fs-atomic.js');
  const dir = tmp();
  const target = path.join(dir, 'ro', 'run', 'checkpoints');
  const real = fs.mkdirSync;
  mock.method(fs, 'mkdirSync', (p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
    // what Linux does on a read-only mount: EROFS for one level, ENOENT for a recursive call
    if (String(p).startsWith(path.join(dir, 'ro'))) throw Object.assign(new Error('read-only'), { code: o?.recursive ? 'ENOENT' : 'EROFS' });
    return real(p, o);
  });
  assert.throws(
    () => ensureDir(target),
    (e: unknown) => isWriteError(e, 'EROFS') && e.message === `cannot create the folder ${path.join(dir, 'ro')}: the file system is read-only (EROFS)`,
  );
  mock.method(fs, 'openSync', () => {
    throw Object.assign(new Error('read-only'), { code: 'EROFS' });
  });
  assert.throws(() => appendChecked(path.join(dir, 'm.jsonl'), 'x\n'), /cannot append to .*m\.jsonl: the file system is read-only \(EROFS\)/);
});

let run: string;
before(() => {
  run = path.join(tempDir('safe-write'), 'run');
  const r = runCli(['train', '--data', '8gaussians', '--out', run, ...TINY, '--no-report']);
  assert.equal(r.code, 0, r.stderr);
});

test('train on a disk that fills: one line naming the checkpoint, exit 4, every checkpoint left reads back, no temporary file, no lock', () => {
  const out = path.join(tempDir('enospc-train'), 'run');
  const ckptBytes = fs.statSync(path.join(run, 'checkpoints', 'iter-0000010.ckpt')).size;
  const r = runCli(['train', '--data', '8gaussians', '--out', out, ...TINY, '--no-report'], {
    fault: { code: 'ENOSPC', match: String.raw`iter-\d+\.ckpt`, budget: Math.round(1.5 * ckptBytes) },
  });
  assert.equal(r.code, 4, r.stderr);
  const lines = errorLines(r.stderr).filter((l) => l.startsWith('dggf:'));
  assert.deepEqual(lines.length, 1, r.stderr);
  assert.match(lines[0], /^dggf: error: cannot write \S+iter-0000020\.ckpt: no space left on the device \(ENOSPC\); no file was left under that name$/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  const ck = path.join(out, 'checkpoints');
  assert.deepEqual(fs.readdirSync(ck), ['iter-0000010.ckpt']);
  assert.equal(readCheckpoint(path.join(ck, 'iter-0000010.ckpt')).iteration, 10);
  assert.ok(!fs.existsSync(path.join(out, '.lock')), 'the lock is released');
  // and the run resumes from the last good checkpoint once there is room
  const again = runCli(['train', '--data', '8gaussians', '--out', out, ...TINY, '--no-report']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming from iteration 10 of 30/);
});

test('sample --gif on a disk that fills: exit 4, one line naming the GIF, no GIF file (it said "wrote" before)', () => {
  const dir = tempDir('enospc-gif');
  const gif = path.join(dir, 'flow.gif');
  const r = runCli(['sample', '--run', run, '--n', '500', '--out', path.join(dir, 's.csv'), '--gif', gif], {
    fault: { code: 'ENOSPC', match: String.raw`flow\.gif`, budget: 20_000 },
  });
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`dggf: error: cannot write ${gif}: no space left on the device (ENOSPC); no file was left under that name`]);
  assert.doesNotMatch(r.stdout, /flow animation/);
  assert.deepEqual(fs.readdirSync(dir), ['s.csv']);
});

test('a read-only --out says EROFS, not ENOENT; a read-only --kl-curve folder is refused before any sample is written', () => {
  const base = tempDir('erofs');
  const r = runCli(['train', '--data', '8gaussians', '--out', path.join(base, 'ro', 'run'), ...TINY], {
    fault: { code: 'EROFS', match: `^${path.join(base, 'ro')}` },
  });
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [
    `dggf: error: cannot create the folder ${path.join(base, 'ro')}: the file system is read-only (EROFS); cannot create the run folder ${path.join(base, 'ro', 'run')}`,
  ]);
  fs.mkdirSync(path.join(base, 'rodir'));
  const kl = runCli(['sample', '--run', run, '--n', '50', '--out', path.join(base, 's.csv'), '--kl-curve', path.join(base, 'rodir', 'kl.csv')], {
    fault: { code: 'EROFS', match: 'rodir' },
  });
  assert.equal(kl.code, 4, kl.stderr);
  assert.deepEqual(errorLines(kl.stderr), [`dggf: error: cannot write ${path.join(base, 'rodir', 'kl.csv')}: the file system is read-only (EROFS); nothing was written`]);
  assert.ok(!fs.existsSync(path.join(base, 's.csv')), 'refused before the samples were written');
});
