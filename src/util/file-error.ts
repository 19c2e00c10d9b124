/**
 * A file or folder that could not be written (full disk, read-only file system, permissions):
 * one sentence naming the path, the reason in words and the system's code. The CLI prints it
 * as one line and exits with its own code (not a usage error, not an internal one).
 */

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'something else already has that name',
  EIO: 'an input/output error of the device',
  EFBIG: 'the file is too large for the file system',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ESHORTWRITE: 'the device accepted fewer bytes than were written',
};

/** The reason for a system error code in words (the code itself when unknown). */
export function describeErrorCode(code: string | undefined): string {
  return (code && REASONS[code]) ?? 'it failed';
}

export function errorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export class FileWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    /** What was being done: 'write' a file, 'create the folder'. */
    readonly action: 'write' | 'create the folder' | 'append to' = 'write',
    /** What is left on disk, said after the reason (e.g. "the previous version is unchanged"). */
    readonly left?: string,
  ) {
    super(`cannot ${action} ${path}: ${describeErrorCode(code)}${code ? ` (${code})` : ''}${left ? `; ${left}` : ''}`);
    this.name = 'FileWriteError';
  }
}

/** `e` as a FileWriteError about `file` (kept as it is when it already is one). */
export function asWriteError(e: unknown, file: string, action: FileWriteError['action'] = 'write', left?: string): FileWriteError {
  if (e instanceof FileWriteError) return e;
  return new FileWriteError(file, errorCode(e) ?? (e as Error)?.message, action, left);
}
