/** Runs the built `dggf` command (dist/) as a child process. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The package whose `dggf` the tests run: this one, or DGGF_TEST_PACKAGE (another build, e.g.
 * an older commit's, to check that a regression test fails there).
 */
export const PACKAGE = process.env.DGGF_TEST_PACKAGE ? path.resolve(process.env.DGGF_TEST_PACKAGE) : ROOT;
export const BIN = path.join(PACKAGE, 'bin', 'dggf.js');

if (!fs.existsSync(path.join(PACKAGE, 'dist', 'cli', 'main.js'))) {
  throw new Error(`${path.join(PACKAGE, 'dist')} is missing: run \`npm run build\` (npm test does it first)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A file-system fault injected into the child (test/helpers/fault-fs.mjs). */
export type Fault = { code: 'ENOSPC'; match: string; budget: number } | { code: 'EROFS'; match: string };

export const FAULT_FS = path.join(ROOT, 'test', 'helpers', 'fault-fs.mjs');

/**
 * The environment of a child: output is not a terminal (CI), and the pipe's time-based progress
 * lines come at most every 10 minutes, so that tests of a command's exact lines do not depend
 * on the machine's speed (test/unit/progress-cli.test.ts sets its own interval).
 */
export const CHILD_ENV = { CI: 'true', DGGF_PROGRESS_INTERVAL: '600' };

export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; fault?: Fault } = {}): CliResult {
  const pre = opts.fault ? ['--import', FAULT_FS] : [];
  const r = spawnSync(process.execPath, [...pre, BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    env: { ...process.env, ...CHILD_ENV, ...(opts.fault ? { DGGF_TEST_FAULT: JSON.stringify(opts.fault) } : {}) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The non-empty lines of a command's stderr. */
export const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '');

/** `dggf …` without blocking the event loop (other work of the test runs meanwhile). */
export function cliAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...CHILD_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d));
    // 'close', not 'exit': 'exit' can come before the last of stderr has been read
    proc.on('close', (code) => resolve({ code, stderr }));
  });
}

export function spawnCli(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...CHILD_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix: string): string {
  const base = path.join(ROOT, 'test-output');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/** Every file under dir with its SHA-256 (to prove nothing was touched). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

export const tmpFile = (name: string, content: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-in-'));
  const f = path.join(d, name);
  fs.writeFileSync(f, content);
  return f;
};
