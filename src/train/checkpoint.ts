/**
 * Checkpoint files: everything needed to continue a run bit-for-bit (iteration, RNG state,
 * net, EMA and Adam tensors). Layout: "DGGFCKPT" | u32 version | u32 header bytes | header
 * JSON | float32 blobs; the header carries a SHA-256 of the blobs so a torn or corrupt file is
 * detected and skipped in favour of an older one. Written atomically.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NamedArray } from '../nets/params.js';
import type { RngState } from '../util/rng.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

const MAGIC = 'DGGFCKPT';
const VERSION = 1;

export interface Checkpoint {
  iteration: number;
  rng: RngState;
  adamStep: number;
  tensors: NamedArray[];
}

interface Header {
  iteration: number;
  rng: RngState;
  adamStep: number;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

export class CheckpointError extends Error {}

export function encodeCheckpoint(c: Checkpoint): Buffer {
  let offset = 0;
  const entries = c.tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, length: t.values.length };
    offset += t.values.length;
    return e;
  });
  const blob = new Float32Array(offset);
  c.tensors.forEach((t, i) => blob.set(t.values, entries[i].offset));
  const blobBytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const header: Header = {
    iteration: c.iteration,
    rng: c.rng,
    adamStep: c.adamStep,
    sha256: crypto.createHash('sha256').update(blobBytes).digest('hex'),
    tensors: entries,
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((16 + json.length) % 4)) % 4;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, 'ascii');
  pre.writeUInt32LE(VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  return Buffer.concat([pre, json, blobBytes]);
}

export function decodeCheckpoint(buf: Buffer, file = 'checkpoint'): Checkpoint {
  if (buf.length < 16 || buf.toString('ascii', 0, 8) !== MAGIC) {
    throw new CheckpointError(`${file}: not a dggf checkpoint (bad magic)`);
  }
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new CheckpointError(`${file}: checkpoint version ${version}, expected ${VERSION}`);
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen > buf.length) throw new CheckpointError(`${file}: truncated header`);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + hlen)) as Header;
  } catch {
    throw new CheckpointError(`${file}: unreadable header`);
  }
  const blobBytes = buf.subarray(16 + hlen);
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (blobBytes.length !== total * 4) {
    throw new CheckpointError(`${file}: truncated (${blobBytes.length} data bytes, expected ${total * 4})`);
  }
  if (crypto.createHash('sha256').update(blobBytes).digest('hex') !== header.sha256) {
    throw new CheckpointError(`${file}: checksum mismatch (corrupt file)`);
  }
  const aligned = new Float32Array(total);
  new Uint8Array(aligned.buffer).set(blobBytes);
  return {
    iteration: header.iteration,
    rng: header.rng,
    adamStep: header.adamStep,
    tensors: header.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      values: aligned.subarray(t.offset, t.offset + t.length),
    })),
  };
}

/** `iter-0001400`: how files of one iteration (checkpoints, sample previews) are named. */
export function iterationTag(iteration: number): string {
  return `iter-${String(iteration).padStart(7, '0')}`;
}

export function checkpointName(iteration: number): string {
  return `${iterationTag(iteration)}.ckpt`;
}

export function writeCheckpoint(dir: string, c: Checkpoint): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, checkpointName(c.iteration));
  writeFileAtomic(file, encodeCheckpoint(c));
  return file;
}

export function readCheckpoint(file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return decodeCheckpoint(buf, file);
}

function listCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^iter-\d{7,}\.ckpt$/.test(f))
    .sort((a, b) => Number(b.slice(5, -5)) - Number(a.slice(5, -5)))
    .map((f) => path.join(dir, f));
}

/** The newest checkpoint that reads back intact, with the files skipped as corrupt. */
export function latestCheckpoint(dir: string): { file: string; checkpoint: Checkpoint; skipped: string[] } | null {
  const skipped: string[] = [];
  for (const file of listCheckpoints(dir)) {
    try {
      return { file, checkpoint: readCheckpoint(file), skipped };
    } catch {
      skipped.push(file);
    }
  }
  return null;
}

/** Keeps the newest `keep` checkpoints. */
export function pruneCheckpoints(dir: string, keep: number): void {
  for (const file of listCheckpoints(dir).slice(keep)) fs.rmSync(file, { force: true });
}
