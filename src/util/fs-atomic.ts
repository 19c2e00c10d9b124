/**
 * Crash-safe file writes. A file is written to a temporary name beside its target (`.NAME.PID.N.tmp`),
 * every write's byte count is checked, the file is fsynced, its size checked against what was
 * written, and only then renamed over the target (then the folder is fsynced). A failure
 * (ENOSPC, EROFS, …) removes the temporary file and throws a FileWriteError naming the target:
 * the target keeps its previous content, or stays absent; never a torn file under a final name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileWriteError, asWriteError, errorCode } from './file-error.js';

export { FileWriteError } from './file-error.js';

let tmpCounter = 0;

/** Writes all of `bytes` at the fd's position; a write that makes no progress is an error. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const n = fs.writeSync(fd, bytes, offset, bytes.length - offset);
    if (!(n > 0)) throw Object.assign(new Error(`short write: ${offset} of ${bytes.length} bytes`), { code: 'ESHORTWRITE' });
    offset += n;
  }
}

const toBytes = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // directories cannot be fsynced on every platform; the rename is still atomic
  }
}

/** A file being written under a temporary name; `commit` puts it in place, `abort` drops it. */
export class AtomicFile {
  readonly tmp: string;
  private fd: number | null;
  private bytes = 0;
  private readonly existed: boolean;

  constructor(readonly file: string) {
    const dir = path.dirname(file);
    this.tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpCounter}.tmp`);
    this.existed = fs.existsSync(file);
    try {
      this.fd = fs.openSync(this.tmp, 'wx');
    } catch (e) {
      throw this.failure(e);
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.bytes;
  }

  write(data: string | Uint8Array): void {
    if (this.fd === null) throw new Error(`AtomicFile ${this.file}: already committed or aborted`);
    const bytes = toBytes(data);
    try {
      writeAll(this.fd, bytes);
    } catch (e) {
      this.abort();
      throw this.failure(e);
    }
    this.bytes += bytes.length;
  }

  /** fsync, check the size on disk, rename over the target, fsync the folder. */
  commit(): void {
    if (this.fd === null) throw new Error(`AtomicFile ${this.file}: already committed or aborted`);
    const fd = this.fd;
    try {
      fs.fsyncSync(fd);
      const onDisk = fs.fstatSync(fd).size;
      if (onDisk !== this.bytes) {
        throw Object.assign(new Error(`${onDisk} of ${this.bytes} bytes on disk`), { code: 'ESHORTWRITE' });
      }
      this.fd = null;
      fs.closeSync(fd);
      fs.renameSync(this.tmp, this.file);
    } catch (e) {
      this.abort();
      throw this.failure(e);
    }
    fsyncDir(path.dirname(this.file));
  }

  /** Closes and removes the temporary file (safe to call more than once). */
  abort(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already unusable; the file is removed below
      }
      this.fd = null;
    }
    fs.rmSync(this.tmp, { force: true });
  }

  private failure(e: unknown): FileWriteError {
    return asWriteError(e, this.file, 'write', this.existed ? 'its previous version is unchanged' : 'no file was left under that name');
  }
}

/** Writes `data` to `file` atomically (see the module comment). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const out = new AtomicFile(file);
  out.write(data);
  out.commit();
}

/**
 * Appends `text` to `file` with every byte counted (no rename: used for logs whose torn last
 * line readers skip).
 */
export function appendChecked(file: string, text: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'a');
    writeAll(fd, toBytes(text));
  } catch (e) {
    throw asWriteError(e, file, 'append to');
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * Creates `dir` and any missing parents one level at a time, so the error names the level that
 * failed and its real cause (a recursive mkdir reports ENOENT on a read-only file system).
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw asWriteError(e, d, 'create the folder');
    }
    if (st) {
      if (!st.isDirectory()) throw new FileWriteError(missing[0] ?? d, 'ENOTDIR', 'create the folder');
      break;
    }
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if (errorCode(e) === 'EEXIST' && fs.statSync(m).isDirectory()) continue;
      throw asWriteError(e, m, 'create the folder');
    }
  }
}

/**
 * Whether files can be created in `dir` (an existing folder): throws a FileWriteError naming
 * `file` (the output that would go there) when the folder is read-only or not writable.
 */
export function checkWritableDir(dir: string, file: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw asWriteError(e, file, 'write', 'nothing was written');
  }
}
