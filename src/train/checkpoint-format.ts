/**
 * The checkpoint file layout, without file or hash APIs (so the browser playground reads the
 * same bytes with the same checks): "DGGFCKPT" | u32 version | u32 header bytes | header JSON |
 * float32 blobs. The header carries a SHA-256 of the blobs; callers verify it with the hash
 * API they have (Node's crypto, Web Crypto).
 */
import type { NamedArray } from '../nets/params.js';
import type { RngState } from '../util/rng.js';

export const CHECKPOINT_MAGIC = 'DGGFCKPT';
export const CHECKPOINT_VERSION = 1;

export class CheckpointError extends Error {}

export interface Checkpoint {
  iteration: number;
  rng: RngState;
  adamStep: number;
  tensors: NamedArray[];
}

export interface CheckpointHeader {
  iteration: number;
  rng: RngState;
  adamStep: number;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

/** Checks the layout and splits the file into its header and its blob bytes (not yet hash-checked). */
export function parseCheckpointLayout(bytes: Uint8Array, file: string): { header: CheckpointHeader; blob: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = String.fromCharCode(...bytes.subarray(0, 8));
  if (bytes.length < 16 || ascii !== CHECKPOINT_MAGIC) throw new CheckpointError(`${file}: not a dggf checkpoint (bad magic)`);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw new CheckpointError(`${file}: checkpoint version ${version}, expected ${CHECKPOINT_VERSION}`);
  const hlen = view.getUint32(12, true);
  if (16 + hlen > bytes.length) throw new CheckpointError(`${file}: truncated header`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen))) as CheckpointHeader;
  } catch {
    throw new CheckpointError(`${file}: unreadable header`);
  }
  if (!Array.isArray(header.tensors)) throw new CheckpointError(`${file}: unreadable header`);
  const blob = bytes.subarray(16 + hlen);
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (blob.length !== total * 4) throw new CheckpointError(`${file}: truncated (${blob.length} data bytes, expected ${total * 4})`);
  return { header, blob };
}

/** The checkpoint of a parsed file whose blob hash `sha256` (hex) was computed by the caller. */
export function checkpointFromLayout(header: CheckpointHeader, blob: Uint8Array, sha256: string | null, file: string): Checkpoint {
  if (sha256 !== null && sha256 !== header.sha256) throw new CheckpointError(`${file}: checksum mismatch (corrupt file)`);
  const aligned = new Float32Array(blob.length / 4);
  new Uint8Array(aligned.buffer).set(blob);
  return {
    iteration: header.iteration,
    rng: header.rng,
    adamStep: header.adamStep,
    tensors: header.tensors.map((t) => ({ name: t.name, shape: t.shape, values: aligned.subarray(t.offset, t.offset + t.length) })),
  };
}

/** `iter-0001400`: how files of one iteration (checkpoints, sample previews) are named. */
export function iterationTag(iteration: number): string {
  return `iter-${String(iteration).padStart(7, '0')}`;
}

export function checkpointName(iteration: number): string {
  return `${iterationTag(iteration)}.ckpt`;
}

/** The iteration of a checkpoint file name (`…/iter-0001400.ckpt` → 1400), or null. */
export function checkpointIteration(name: string): number | null {
  const m = /(?:^|[\\/])iter-(\d+)\.ckpt$/.exec(name);
  return m ? Number(m[1]) : null;
}
