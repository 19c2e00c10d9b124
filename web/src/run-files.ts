/**
 * Reading a CLI run folder's files in the browser: config.json (and prior.bin), checkpoints and metrics.
 * Checkpoints go through the library's own layout reader (src/train/checkpoint-format.ts);
 * only the SHA-256 is taken here, with Web Crypto. The arrays go to Trainer.restore, as a
 * resumed run's do.
 */
import { validateConfig, type RunConfig } from '../../src/config/schema.js';
import { checkpointFromLayout, checkpointIteration, parseCheckpointLayout, type Checkpoint } from '../../src/train/checkpoint-format.js';
import { parseMetricsLines } from '../../src/train/metrics-lines.js';
import type { Derived } from '../../src/flow/model.js';
import type { ImageShape } from '../../src/data/types.js';
import { PRIOR_ARRAY_KEYS, priorFromState, type PriorState } from '../../src/priors/index.js';

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

/** What a run folder's config.json describes, with the prior's arrays in place. */
export interface StoredRunFiles {
  config: RunConfig;
  derived: Derived;
  dggf?: string;
  /** The prior's arrays came from a prior.bin whose checksum the browser could not check. */
  priorUnverified?: boolean;
}

/**
 * The prior's big arrays, kept in prior.bin (checkpoint layout) when config.json says
 * `arrays: "prior.bin"` (image runs' data-dependent priors: a Cholesky factor of dim² values).
 */
async function priorWithArrays(prior: Record<string, unknown>, file: string, priorBin?: ArrayBuffer): Promise<{ prior: Record<string, unknown>; verified: boolean }> {
  if (prior.arrays === undefined) return { prior, verified: true };
  if (!priorBin) throw new RunFileError(`${file}: derived.prior keeps its arrays in ${String(prior.arrays)}: load that file too (it lies next to config.json)`);
  const name = String(prior.arrays);
  let decoded: { checkpoint: Checkpoint; verified: boolean };
  try {
    decoded = await decodeCheckpoint(priorBin, name);
  } catch (e) {
    throw new RunFileError((e as Error).message);
  }
  const out: Record<string, unknown> = { ...prior };
  delete out.arrays;
  for (const t of decoded.checkpoint.tensors) if ((PRIOR_ARRAY_KEYS as readonly string[]).includes(t.name)) out[t.name] = t.values;
  return { prior: out, verified: decoded.verified };
}

/** derived.image: a valid image shape whose size is `dim`, or a clear error. */
function imageShape(raw: unknown, dim: number, file: string): ImageShape {
  const o = raw as Partial<ImageShape> | null;
  const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (typeof o !== 'object' || o === null || !posInt(o.height) || !posInt(o.width) || (o.channels !== 1 && o.channels !== 3)) {
    throw new RunFileError(`${file}: derived.image: expected height and width (positive integers) and channels 1 or 3`);
  }
  if (o.height * o.width * o.channels !== dim) {
    throw new RunFileError(`${file}: derived.image: ${o.height}×${o.width}×${o.channels} = ${o.height * o.width * o.channels} values, but derived.dim is ${dim}`);
  }
  return { height: o.height, width: o.width, channels: o.channels };
}

/**
 * config.json of a run folder (and its prior.bin, when the prior keeps its arrays there): the
 * resolved config and what was derived from the data. 2-D point runs and image runs load;
 * other point runs and translation runs (their prior draws a dataset's images) do not.
 */
export async function parseStoredRun(text: string, file = 'config.json', priorBin?: ArrayBuffer): Promise<StoredRunFiles> {
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
  const image = d.image === undefined ? undefined : imageShape(d.image, dim, file);
  if (dim !== 2 && !image) throw new RunFileError(`${file}: this run is ${dim}-D points; the playground shows 2-D point runs and image runs`);
  const nz = d.normalizer;
  const okArray = (a: unknown): a is number[] => Array.isArray(a) && a.length === dim && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!nz || !okArray(nz.mean) || !okArray(nz.std) || nz.std.some((v) => v <= 0)) {
    throw new RunFileError(`${file}: derived.normalizer: expected mean and std of ${dim} finite numbers (std > 0)`);
  }
  const rawPrior = d.prior as unknown as Record<string, unknown> | undefined;
  if (rawPrior?.name === 'data') {
    throw new RunFileError(`${file}: a translation run (its prior draws the images of ${String(rawPrior.source)}): the playground cannot load a dataset; use \`dggf translate\``);
  }
  let prior: Record<string, unknown> | undefined;
  let verified = true;
  if (typeof rawPrior === 'object' && rawPrior !== null) ({ prior, verified } = await priorWithArrays(rawPrior, file, priorBin));
  let ok = false;
  try {
    ok = typeof prior === 'object' && priorFromState(prior as unknown as PriorState)?.dim === dim;
  } catch {
    ok = false;
  }
  if (!ok) throw new RunFileError(`${file}: derived.prior: expected a ${dim}-D prior (gaussian, uniform, data-gaussian or data-gmm)`);
  return {
    config,
    derived: { dim, normalizer: nz, prior: prior as unknown as PriorState, ...(image ? { image } : {}) },
    dggf: typeof o.dggf === 'string' ? o.dggf : undefined,
    ...(verified ? {} : { priorUnverified: true }),
  };
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
