/**
 * Reading a CLI run folder's files in the browser: config.json, checkpoints and metrics.
 * Checkpoints go through the library's own layout reader (src/train/checkpoint-format.ts);
 * only the SHA-256 is taken here, with Web Crypto. The arrays go to Trainer.restore, as a
 * resumed run's do.
 */
import { validateConfig, type RunConfig } from '../../src/config/schema.js';
import { checkpointFromLayout, checkpointIteration, parseCheckpointLayout, type Checkpoint } from '../../src/train/checkpoint-format.js';
import { parseMetricsLines } from '../../src/train/metrics-lines.js';
import type { Derived } from '../../src/flow/model.js';
import { priorFromState, type PriorState } from '../../src/priors/index.js';

export class RunFileError extends Error {}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null; // not a secure context (plain http to another host): cannot check
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Decodes a checkpoint file; `verified` is false when the browser could not check the SHA-256. */
export async function decodeCheckpoint(buffer: ArrayBuffer, file: string): Promise<{ checkpoint: Checkpoint; verified: boolean }> {
  const { header, blob } = parseCheckpointLayout(new Uint8Array(buffer), file);
  const hash = await sha256Hex(blob);
  return { verified: hash !== null, checkpoint: checkpointFromLayout(header, blob, hash, file) };
}

/** The newest of the given checkpoint files that decodes intact, and the ones skipped. */
export async function newestCheckpoint(
  files: { name: string; bytes: ArrayBuffer }[],
): Promise<{ name: string; checkpoint: Checkpoint; verified: boolean; skipped: string[] }> {
  const iterOf = (n: string): number => checkpointIteration(n) ?? -1;
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
  for (const m of parseMetricsLines(text)) {
    if (typeof m.iteration !== 'number' || typeof m.loss !== 'number') continue;
    out.iteration.push(m.iteration);
    out.loss.push(m.loss);
    out.estimate.push(m.kl_estimate ?? m.chi2_estimate ?? NaN);
  }
  return out;
}
