/**
 * IDX files (the MNIST / Fashion-MNIST format): a 4-byte magic (0, 0, type, number of
 * dimensions), one big-endian uint32 per dimension, then the values row-major. Only unsigned
 * bytes (type 0x08) are read: `idx3` images (count × rows × cols) and `idx1` labels (count).
 * Files may be plain or gzipped; gzip is recognised by its magic bytes (1f 8b), not the name.
 * Every problem is a DataError naming the file and saying what was expected.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { constants as zconst, gunzipSync } from 'node:zlib';
import { DataError } from '../types.js';
import { MAX_IDX_BYTES, formatBytes } from '../limits.js';

export interface IdxArray {
  /** Dimension sizes, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The values (unsigned bytes), row-major; a view into the file's bytes. */
  data: Uint8Array;
}

export interface IdxImages {
  count: number;
  height: number;
  width: number;
  /** count × height × width bytes. */
  pixels: Uint8Array;
}

const IDX_UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function readBytes(file: string, what: string): Uint8Array {
  try {
    const size = statSync(file).size;
    if (size > MAX_IDX_BYTES) {
      throw new DataError(`${file} is ${formatBytes(size)}, more than the ${formatBytes(MAX_IDX_BYTES)} an IDX file may have; expected ${what}`);
    }
    const buf = readFileSync(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${file}: file not found, expected ${what}`);
    if (code === 'EISDIR') throw new DataError(`${file} is a directory, expected ${what}`);
    throw new DataError(`${file} cannot be read (${(err as Error).message}), expected ${what}`);
  }
}

/** The file's bytes, gunzipped when they start with the gzip magic. */
export function readMaybeGzip(file: string, what: string): Uint8Array {
  const raw = readBytes(file, what);
  if (!isGzip(raw)) return raw;
  try {
    const buf = gunzipSync(raw, { maxOutputLength: MAX_IDX_BYTES });
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${file} decompresses to more than the ${formatBytes(MAX_IDX_BYTES)} an IDX file may have; expected ${what}`);
    }
    throw new DataError(
      `${file} starts like a gzip file but cannot be decompressed (${(err as Error).message}); ` +
        `expected ${what}, plain or a complete gzip file`,
    );
  }
}

/** Parse IDX bytes; `file` names the source in error messages. */
export function parseIdx(bytes: Uint8Array, file: string, expectDims?: number): IdxArray {
  const what = expectDims === 3 ? 'an IDX image file (idx3-ubyte)' : expectDims === 1 ? 'an IDX label file (idx1-ubyte)' : 'an IDX file';
  if (bytes.length < 4) {
    throw new DataError(`${file} is ${bytes.length} bytes long, expected ${what} (at least a 4-byte header)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${file}: magic bytes are ${hex}, expected ${what} (starting 00 00 08 0${expectDims ?? 'n'})`);
  }
  const type = bytes[2];
  const nd = bytes[3];
  if (type !== IDX_UBYTE) {
    const tn = TYPE_NAMES[type] ?? 'unknown';
    throw new DataError(
      `${file}: IDX data type is 0x${type.toString(16).padStart(2, '0')} (${tn}), expected 0x08 (unsigned byte)`,
    );
  }
  if (expectDims !== undefined && nd !== expectDims) {
    const hint = nd === 1 ? ' (this looks like a label file)' : nd === 3 ? ' (this looks like an image file)' : '';
    throw new DataError(`${file}: IDX file has ${nd} dimension${nd === 1 ? '' : 's'}${hint}, expected ${what} with ${expectDims}`);
  }
  if (nd < 1) throw new DataError(`${file}: IDX file has 0 dimensions, expected ${what} with at least 1`);
  const headerLen = 4 + 4 * nd;
  if (bytes.length < headerLen) {
    throw new DataError(
      `${file} is truncated: ${bytes.length} bytes, expected ${what} with a ${headerLen}-byte header for ${nd} dimensions`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    total *= d;
  }
  const have = bytes.length - headerLen;
  if (have < total) {
    throw new DataError(
      `${file} is truncated: the header says ${dims.join('×')} = ${total} values, ` +
        `found ${have} bytes of data; expected the complete file`,
    );
  }
  if (have > total) {
    throw new DataError(
      `${file} is corrupt: the header says ${dims.join('×')} = ${total} values, ` +
        `found ${have - total} extra bytes after them; expected exactly ${total}`,
    );
  }
  return { dims, data: bytes.subarray(headerLen, headerLen + total) };
}

/** Read an IDX file of unsigned bytes (plain or gzipped). */
export function readIdx(file: string, expectDims?: number): IdxArray {
  const what = expectDims === 3 ? 'an IDX image file (idx3-ubyte)' : expectDims === 1 ? 'an IDX label file (idx1-ubyte)' : 'an IDX file';
  return parseIdx(readMaybeGzip(file, what), file, expectDims);
}

/** Read an idx3-ubyte image file: count × height × width grey bytes. */
export function readIdxImages(file: string): IdxImages {
  const { dims, data } = readIdx(file, 3);
  const [count, height, width] = dims;
  if (count < 1 || height < 1 || width < 1) {
    throw new DataError(`${file}: IDX images are ${dims.join('×')}, expected at least one image of at least 1×1 pixels`);
  }
  return { count, height, width, pixels: data };
}

/** Read an idx1-ubyte label file. */
export function readIdxLabels(file: string): Int32Array {
  const { data } = readIdx(file, 1);
  return Int32Array.from(data);
}

/** Encode bytes as an IDX file (type 0x08); `gzip` compresses it. For tests and exports. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const total = dims.reduce((a, b) => a * b, 1);
  if (total !== data.length) {
    throw new DataError(`encodeIdx: dims ${dims.join('×')} = ${total} values, got ${data.length}; expected them to match`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + total);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * Number of dimensions when `file` is an IDX unsigned-byte file (plain or gzipped), judged
 * from its first bytes only; undefined otherwise (or when it cannot be read).
 */
export function sniffIdx(file: string): number | undefined {
  let head: Uint8Array;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const n = readSync(fd, buf, 0, buf.length, 0);
      head = buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (isGzip(head)) {
    try {
      head = gunzipSync(head, { finishFlush: zconst.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  }
  if (head.length < 8 || head[0] !== 0 || head[1] !== 0 || head[2] !== IDX_UBYTE) return undefined;
  const nd = head[3];
  return nd >= 1 && nd <= 4 ? nd : undefined;
}
