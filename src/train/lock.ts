/**
 * One training process per run folder: an exclusive `.lock` file recording the holder's pid,
 * host, the process's start time (Linux: boot id + start tick from /proc) and a random token.
 * A lock is stale, and taken over, when its process is gone, or when its pid now belongs to a
 * process that started at another time (the pid was reused by an unrelated process). A lock
 * of an older dggf (a bare pid) whose live process is not a dggf command is stale too. The
 * token makes `release` remove only the lock this process holds.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config/schema.js';
import { asWriteError, errorCode } from '../util/file-error.js';
import { writeAll } from '../util/fs-atomic.js';

export interface LockRecord {
  pid: number;
  host: string;
  /** Boot id and start time of the process (Linux), null where the system does not say. */
  start: string | null;
  token: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** `bootid:ticks` of a live process on Linux, null elsewhere or when it does not exist. */
export function processStartTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[19];
  if (!ticks || !/^\d+$/.test(ticks)) return null;
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim() ?? '';
  return `${boot}:${ticks}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/** The lock record this process writes. */
export function ownLockRecord(): LockRecord {
  return { pid: process.pid, host: os.hostname(), start: processStartTime(process.pid), token: crypto.randomBytes(8).toString('hex') };
}

/** A lock file's record; a bare pid (older dggf) has no host, start or token; null when unreadable. */
export function parseLock(text: string): Partial<LockRecord> & { pid: number } | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { pid: Number(t) };
  try {
    const v = JSON.parse(t) as Partial<LockRecord>;
    return typeof v === 'object' && v !== null && Number.isSafeInteger(v.pid) && (v.pid as number) > 0 ? (v as LockRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Whether the holder of `lock` may still be training: 'live', or why it is stale. A lock of
 * another host cannot be checked and counts as live.
 */
export function lockState(lock: ReturnType<typeof parseLock>): { live: true } | { live: false; why: string | null } {
  if (!lock) return { live: false, why: null };
  const { pid } = lock;
  if (pid === process.pid) return { live: false, why: null };
  if (lock.host !== undefined && lock.host !== os.hostname()) return { live: true };
  if (!isAlive(pid)) return { live: false, why: null };
  const now = processStartTime(pid);
  if (lock.start !== undefined) {
    if (lock.start !== null && now !== null && lock.start !== now) {
      return { live: false, why: `pid ${pid} now belongs to another process, started after the lock was written` };
    }
    return { live: true };
  }
  // a bare pid from an older dggf: live only if that process is a dggf command
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (cmdline !== null && !/dggf/i.test(cmdline)) {
    return { live: false, why: `pid ${pid} is a live process, but not a dggf command (${cmdline.split('\0').filter(Boolean).slice(0, 3).join(' ').slice(0, 60)})` };
  }
  return { live: true };
}

/**
 * Takes the run folder's lock. Returns how to release it and, when a stale lock of a live
 * process was taken over, a note saying so. Throws a ConfigError when another process holds it.
 */
export function lockRunFolder(dir: string): { release: () => void; note: string | null } {
  const file = path.join(dir, '.lock');
  const mine = ownLockRecord();
  let note: string | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw asWriteError(e, file);
      const held = parseLock(readText(file) ?? '');
      const state = lockState(held);
      if (state.live) {
        const where = held!.host && held!.host !== os.hostname() ? ` on host ${held!.host}` : '';
        throw new ConfigError(
          `${dir} is being trained by another process (pid ${held!.pid}${where}); wait for it or stop it first ` +
            `(if no dggf process is training it, delete ${file})`,
        );
      }
      if (state.why) note = `took over the stale lock ${file}: ${state.why}`;
      fs.rmSync(file, { force: true });
      continue;
    }
    try {
      writeAll(fd, Buffer.from(JSON.stringify(mine) + '\n'));
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw asWriteError(e, file);
    }
    fs.closeSync(fd);
    const release = (): void => {
      const now = parseLock(readText(file) ?? '');
      if (now && now.token === mine.token) fs.rmSync(file, { force: true });
    };
    return { release, note };
  }
  throw new ConfigError(`${dir}: could not take the run folder's lock ${file} (another process took it at the same time)`);
}
