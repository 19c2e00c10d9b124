/**
 * A binary cache of decoded pixel arrays, so that slow decodes (thousands of PNGs) happen
 * once. Folder: `$DGGF_CACHE`, default `$XDG_CACHE_HOME/dggf` or `~/.cache/dggf`. A cache file is
 *
 *   "DGGFPX01" | uint32 LE header length | header JSON (UTF-8) | labels (int32 LE × count) | pixels
 *
 * where the header records the key it was built for, the shape, the count, the byte lengths
 * and a CRC-32 of the payload. It is written atomically (temp file + rename) and checked on
 * read: any mismatch (other key, wrong length, bad CRC) means "no cache" and the caller
 * rebuilds it. A cache folder that cannot be written only costs the speed-up.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { ensureDir, writeFileAtomic } from '../../util/fs-atomic.js';

const MAGIC = 'DGGFPX01';

/** The cache folder: `$DGGF_CACHE`, else `$XDG_CACHE_HOME/dggf`, else `~/.cache/dggf`. */
export function cacheDir(): string {
  const env = process.env.DGGF_CACHE;
  if (env && env.trim() !== '') return path.resolve(env);
  const xdg = process.env.XDG_CACHE_HOME;
  // the XDG spec: a relative XDG_CACHE_HOME is invalid and ignored
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'dggf');
  return path.join(os.homedir(), '.cache', 'dggf');
}

export interface PixelCacheEntry {
  /** What the contents depend on (source, version, size, …); must match exactly on read. */
  key: Record<string, string | number>;
  count: number;
  /** Bytes per item. */
  itemBytes: number;
  pixels: Uint8Array;
  labels?: Int32Array;
  /** Free-form extra data (e.g. class names). */
  meta?: Record<string, unknown>;
}

interface Header {
  key: Record<string, string | number>;
  count: number;
  itemBytes: number;
  hasLabels: boolean;
  payloadBytes: number;
  crc: number;
  meta?: Record<string, unknown>;
}

function sameKey(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Read a cache file; undefined when it is missing, for another key, or damaged in any way. */
export function readPixelCache(file: string, key: Record<string, string | number>): PixelCacheEntry | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
    const hlen = buf.readUInt32LE(8);
    if (12 + hlen > buf.length) return undefined;
    const h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
    if (!h || typeof h !== 'object' || !sameKey(h.key ?? {}, key)) return undefined;
    const labelBytes = h.hasLabels ? h.count * 4 : 0;
    const pixelBytes = h.count * h.itemBytes;
    if (!Number.isInteger(pixelBytes) || h.payloadBytes !== labelBytes + pixelBytes) return undefined;
    if (buf.length !== 12 + hlen + h.payloadBytes) return undefined;
    const payload = buf.subarray(12 + hlen);
    if ((crc32(payload) >>> 0) !== h.crc) return undefined;
    const entry: PixelCacheEntry = {
      key,
      count: h.count,
      itemBytes: h.itemBytes,
      pixels: new Uint8Array(payload.subarray(labelBytes)),
    };
    if (h.hasLabels) {
      const labels = new Int32Array(h.count);
      for (let i = 0; i < h.count; i++) labels[i] = payload.readInt32LE(i * 4);
      entry.labels = labels;
    }
    if (h.meta) entry.meta = h.meta;
    return entry;
  } catch {
    return undefined;
  }
}

/** Write a cache file atomically; returns the error message instead of throwing on failure. */
export function writePixelCache(file: string, entry: PixelCacheEntry): string | undefined {
  try {
    const labelBytes = entry.labels ? entry.count * 4 : 0;
    const payload = Buffer.alloc(labelBytes + entry.pixels.length);
    if (entry.labels) for (let i = 0; i < entry.count; i++) payload.writeInt32LE(entry.labels[i], i * 4);
    payload.set(entry.pixels, labelBytes);
    const header: Header = {
      key: entry.key,
      count: entry.count,
      itemBytes: entry.itemBytes,
      hasLabels: !!entry.labels,
      payloadBytes: payload.length,
      crc: crc32(payload) >>> 0,
      ...(entry.meta ? { meta: entry.meta } : {}),
    };
    const hjson = Buffer.from(JSON.stringify(header), 'utf8');
    const head = Buffer.alloc(12);
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(hjson.length, 8);
    ensureDir(path.dirname(file));
    writeFileAtomic(file, Buffer.concat([head, hjson, payload]));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
