/**
 * Checkpoint files: everything needed to continue a run bit-for-bit (iteration, RNG state,
 * net, EMA and Adam tensors). Layout: "DGGFCKPT" | u32 version | u32 header bytes | header
 * JSON | float32 blobs; the header carries a SHA-256 of the blobs so a torn or corrupt file is
 * detected and skipped in favour of an older one. Written atomically.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  CheckpointError,
  checkpointFromLayout,
  checkpointIteration,
  checkpointName,
  parseCheckpointLayout,
  type Checkpoint,
  type CheckpointHeader,
} from './checkpoint-format.js';

export { CheckpointError, checkpointName, iterationTag } from './checkpoint-format.js';
export type { Checkpoint } from './checkpoint-format.js';

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
  const header: CheckpointHeader = {
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
  pre.write(CHECKPOINT_MAGIC, 0, 'ascii');
  pre.writeUInt32LE(CHECKPOINT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  return Buffer.concat([pre, json, blobBytes]);
}

export function decodeCheckpoint(buf: Buffer, file = 'checkpoint'): Checkpoint {
  const { header, blob } = parseCheckpointLayout(buf, file);
  return checkpointFromLayout(header, blob, crypto.createHash('sha256').update(blob).digest('hex'), file);
}

export function writeCheckpoint(dir: string, c: Checkpoint): string {
  ensureDir(dir);
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

/** Checkpoint files in `dir`, newest first. */
export function listCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^iter-\d{7,}\.ckpt$/.test(f))
    .sort((a, b) => checkpointIteration(b)! - checkpointIteration(a)!)
    .map((f) => path.join(dir, f));
}

/** A checkpoint file that could not be read back, and why. */
export interface SkippedCheckpoint {
  file: string;
  reason: string;
}

/** The newest checkpoint that reads back intact, and the newer files skipped as unreadable. */
export interface LatestCheckpoint {
  file: string;
  checkpoint: Checkpoint;
  skipped: SkippedCheckpoint[];
}

/**
 * The newest checkpoint of `dir` that reads back intact, with the newer ones skipped (each with
 * its reason); null when there is none. `unreadable` collects every file tried when none is intact.
 */
export function latestCheckpoint(dir: string, unreadable: SkippedCheckpoint[] = []): LatestCheckpoint | null {
  const skipped: SkippedCheckpoint[] = [];
  for (const file of listCheckpoints(dir)) {
    try {
      return { file, checkpoint: readCheckpoint(file), skipped };
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
    }
  }
  unreadable.push(...skipped);
  return null;
}

/** One line about checkpoints skipped in favour of an older one ('' when none was skipped). */
export function skippedCheckpointsNote(latest: LatestCheckpoint): string {
  if (latest.skipped.length === 0) return '';
  const why = latest.skipped.map((s) => s.reason).join('; ');
  return `skipped ${latest.skipped.length} unreadable checkpoint${latest.skipped.length === 1 ? '' : 's'} (${why}); using ${latest.file} (iteration ${latest.checkpoint.iteration})`;
}

/** Keeps the newest `keep` checkpoints. */
export function pruneCheckpoints(dir: string, keep: number): void {
  for (const file of listCheckpoints(dir).slice(keep)) fs.rmSync(file, { force: true });
}
