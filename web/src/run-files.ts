/**
 * Reading a CLI run folder's files in the browser: config.json and checkpoints.
 *
 * src/train/checkpoint.ts reads checkpoints with Node's Buffer and crypto; this is the same
 * layout read with DataView and Web Crypto — "DGGFCKPT" | u32 version | u32 header bytes |
 * header JSON | float32 blobs, the header holding a SHA-256 of the blobs — with the same
 * checks and messages. The arrays it returns go to Trainer.restore, as a resumed run's do.
 */
import { validateConfig, type RunConfig } from '../../src/config/schema.js';
import type { Checkpoint } from '../../src/train/checkpoint.js';
import type { Derived } from '../../src/flow/model.js';
import { priorFromState, type PriorState } from '../../src/priors/index.js';

const MAGIC = 'DGGFCKPT';
const VERSION = 1;

export class RunFileError extends Error {}

interface Header {
  iteration: number;
  rng: Checkpoint['rng'];
  adamStep: number;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null; // not a secure context (plain http to another host): cannot check
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Decodes a checkpoint file; `verified` is false when the browser could not check the SHA-256. */
export async function decodeCheckpoint(buffer: ArrayBuffer, file: string): Promise<{ checkpoint: Checkpoint; verified: boolean }> {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const ascii = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length < 16 || ascii(0, 8) !== MAGIC) throw new RunFileError(`${file}: not a dggf checkpoint (bad magic)`);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new RunFileError(`${file}: checkpoint version ${version}, expected ${VERSION}`);
  const hlen = view.getUint32(12, true);
  if (16 + hlen > bytes.length) throw new RunFileError(`${file}: truncated header`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen))) as Header;
  } catch {
    throw new RunFileError(`${file}: unreadable header`);
  }
  if (!Array.isArray(header.tensors)) throw new RunFileError(`${file}: unreadable header`);
  const blob = bytes.subarray(16 + hlen);
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (blob.length !== total * 4) throw new RunFileError(`${file}: truncated (${blob.length} data bytes, expected ${total * 4})`);
  const hash = await sha256Hex(blob);
  if (hash !== null && hash !== header.sha256) throw new RunFileError(`${file}: checksum mismatch (corrupt file)`);
  const aligned = new Float32Array(total);
  new Uint8Array(aligned.buffer).set(blob);
  return {
    verified: hash !== null,
    checkpoint: {
      iteration: header.iteration,
      rng: header.rng,
      adamStep: header.adamStep,
      tensors: header.tensors.map((t) => ({ name: t.name, shape: t.shape, values: aligned.subarray(t.offset, t.offset + t.length) })),
    },
  };
}

/** The newest of the given checkpoint files that decodes intact, and the ones skipped. */
export async function newestCheckpoint(
  files: { name: string; bytes: ArrayBuffer }[],
): Promise<{ name: string; checkpoint: Checkpoint; verified: boolean; skipped: string[] }> {
  const iterOf = (n: string): number => Number(/iter-(\d+)\.ckpt$/.exec(n)?.[1] ?? -1);
  const sorted = [...files].sort((a, b) => iterOf(b.name) - iterOf(a.name));
  const skipped: string[] = [];
  for (const f of sorted) {
    try {
      return { name: f.name, ...(await decodeCheckpoint(f.bytes, f.name)), skipped };
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  if (files.length === 0) throw new RunFileError('no checkpoint file given (a run folder keeps them in checkpoints/iter-*.ckpt)');
  throw new RunFileError(`no intact checkpoint: ${skipped.join('; ')}`);
}

/** config.json of a run folder: the resolved config and what was derived from the data. */
export function parseStoredRun(text: string, file = 'config.json'): { config: RunConfig; derived: Derived; dggf?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const o = raw as { config?: unknown; derived?: Partial<Derived>; dggf?: unknown };
  if (typeof o !== 'object' || o === null || !o.config || !o.derived) {
    throw new RunFileError(`${file}: no 'config' and 'derived' fields — is this a dggf run folder's config.json?`);
  }
  const config = validateConfig(o.config, file);
  const d = o.derived;
  const dim = d.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) throw new RunFileError(`${file}: derived.dim: expected a positive integer`);
  if (dim !== 2) throw new RunFileError(`${file}: this run is ${dim}-D; the playground shows 2-D runs only`);
  const nz = d.normalizer;
  const okArray = (a: unknown): a is number[] => Array.isArray(a) && a.length === dim && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!nz || !okArray(nz.mean) || !okArray(nz.std) || nz.std.some((v) => v <= 0)) {
    throw new RunFileError(`${file}: derived.normalizer: expected mean and std of ${dim} finite numbers (std > 0)`);
  }
  const prior = d.prior as PriorState | undefined;
  let ok = false;
  try {
    ok = typeof prior === 'object' && prior !== null && priorFromState(prior)?.dim === dim;
  } catch {
    ok = false;
  }
  if (!ok) throw new RunFileError(`${file}: derived.prior: expected a ${dim}-D prior (gaussian, uniform or data-gaussian)`);
  return { config, derived: { dim, normalizer: nz, prior: d.prior as PriorState }, dggf: typeof o.dggf === 'string' ? o.dggf : undefined };
}

/** metrics.jsonl: iteration, loss and the estimate per logged line (torn lines skipped). */
export function parseMetrics(text: string): { iteration: number[]; loss: number[]; estimate: number[] } {
  const out = { iteration: [] as number[], loss: [] as number[], estimate: [] as number[] };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as { iteration?: number; loss?: number; kl_estimate?: number; chi2_estimate?: number };
      if (typeof m.iteration !== 'number' || typeof m.loss !== 'number') continue;
      out.iteration.push(m.iteration);
      out.loss.push(m.loss);
      out.estimate.push(m.kl_estimate ?? m.chi2_estimate ?? NaN);
    } catch {
      // a line torn by a crash
    }
  }
  return out;
}
