/**
 * Fault injection for CLI tests, loaded with `node --import` into a `dggf` child process
 * (test/helpers/cli.ts: runCli(args, { fault })). DGGF_TEST_FAULT is JSON:
 *   { "code": "ENOSPC", "match": "<regex on the path>", "budget": <bytes> }
 *     files whose path matches take `budget` bytes in all, then a write stores only part of its
 *     bytes (a short write, as a filling disk does) and the next one throws ENOSPC;
 *   { "code": "EROFS", "match": "<regex>" }
 *     opening a matching path for writing, creating a matching folder, or asking whether a
 *     matching path is writable (access W_OK) throws EROFS.
 * Plain JavaScript, so the built CLI loads it without a TypeScript loader.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const spec = JSON.parse(process.env.DGGF_TEST_FAULT ?? 'null');
if (spec) {
  const match = new RegExp(spec.match);
  const fail = (syscall, p) => Object.assign(new Error(`${spec.code}: injected fault, ${syscall} '${p}'`), { code: spec.code, syscall, path: p });
  const writing = (flags) => typeof flags === 'string' && /[wa+]/.test(flags);
  const tracked = new Set();
  let left = spec.budget ?? 0;
  let full = false;

  const { openSync, writeSync, mkdirSync, accessSync } = fs;
  fs.accessSync = function (p, mode, ...rest) {
    if (spec.code === 'EROFS' && match.test(String(p)) && mode !== undefined && (mode & fs.constants.W_OK) !== 0) throw fail('access', String(p));
    return accessSync.call(fs, p, mode, ...rest);
  };
  fs.openSync = function (p, flags, ...rest) {
    const name = String(p);
    if (spec.code === 'EROFS' && match.test(name) && writing(flags ?? 'r')) throw fail('open', name);
    const fd = openSync.call(fs, p, flags, ...rest);
    if (spec.code === 'ENOSPC' && match.test(name) && writing(flags ?? 'r')) tracked.add(fd);
    return fd;
  };
  fs.writeSync = function (fd, buffer, ...rest) {
    if (!tracked.has(fd) || typeof buffer === 'string') return writeSync.call(fs, fd, buffer, ...rest);
    if (full) throw fail('write', `fd ${fd}`);
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : buffer.byteLength - offset;
    if (length <= left) {
      left -= length;
      return writeSync.call(fs, fd, buffer, offset, length, rest[2]);
    }
    full = true;
    const part = Math.max(0, left);
    left = 0;
    if (part === 0) throw fail('write', `fd ${fd}`);
    return writeSync.call(fs, fd, buffer, offset, part, rest[2]);
  };
  fs.mkdirSync = function (p, ...rest) {
    if (spec.code === 'EROFS' && match.test(String(p))) throw fail('mkdir', String(p));
    return mkdirSync.call(fs, p, ...rest);
  };
  syncBuiltinESMExports();
}
