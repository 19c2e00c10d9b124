/**
 * A run is a folder: config.json (resolved config + what was derived from the data; a data
 * prior is stored as its source's spec, never its images),
 * checkpoints/, metrics.jsonl (one JSON line per logged iteration), samples/ (PNG),
 * report.html. This module knows the layout and reads/writes the small files; `Run` is a
 * folder opened once (paths, validated config and derived state, checkpoints, metrics, lock),
 * the object that commands, the trainer and the reports are handed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runConfigSchema, ConfigError, type RunConfig } from '../config/schema.js';
import type { Derived } from '../flow/model.js';
import { appendChecked, ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { Rng } from '../util/rng.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  latestCheckpoint,
  pruneCheckpoints,
  writeCheckpoint,
  type Checkpoint,
  type LatestCheckpoint,
  type SkippedCheckpoint,
} from './checkpoint.js';
import { lockRunFolder } from './lock.js';
import { parseMetricsLines, type MetricsLine } from './metrics-lines.js';

export type { MetricsLine } from './metrics-lines.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { PRIOR_ARRAY_KEYS } from '../priors/index.js';

export interface RunPaths {
  dir: string;
  config: string;
  checkpoints: string;
  metrics: string;
  samples: string;
  report: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: path.join(dir, 'config.json'),
    checkpoints: path.join(dir, 'checkpoints'),
    metrics: path.join(dir, 'metrics.jsonl'),
    samples: path.join(dir, 'samples'),
    report: path.join(dir, 'report.html'),
  };
}

export interface StoredRun {
  dggf: string;
  createdAt: string;
  config: RunConfig;
  derived: Derived;
  /** The backend the run was started on (a resume elsewhere is not bit-identical). */
  engine?: { backend: string };
}

const storedSchema = z.object({
  dggf: z.string(),
  createdAt: z.string(),
  config: runConfigSchema,
  derived: z.object({
    dim: z.number().int().positive(),
    normalizer: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
    prior: z.any(),
    image: z
      .object({ height: z.number().int().positive(), width: z.number().int().positive(), channels: z.union([z.literal(1), z.literal(3)]) })
      .optional(),
  }),
  engine: z.object({ backend: z.string() }).optional(),
});

export function readStoredRun(dir: string): StoredRun | null {
  return readStoredRunAt(runPaths(dir));
}

function readStoredRunAt(paths: RunPaths): StoredRun | null {
  const file = paths.config;
  if (!fs.existsSync(file)) return null;
  return parseStoredRun(fs.readFileSync(file, 'utf8'), file, (prior) => readPriorArrays(paths.dir, prior));
}

/** config.json's text as a validated StoredRun; `priorArrays` restores a prior's arrays kept in prior.bin. */
function parseStoredRun(text: string, file: string, priorArrays: (prior: Record<string, unknown>) => Derived['prior']): StoredRun {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = storedSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ConfigError(`${file}: ${i.path.join('.') || '(top level)'}: ${i.message} — is this a dggf run folder?`);
  }
  const stored = parsed.data as StoredRun;
  const prior = stored.derived.prior as unknown as Record<string, unknown>;
  if (prior?.name === 'data' && (typeof prior.source !== 'string' || typeof prior.image !== 'object' || prior.image === null)) {
    throw new ConfigError(`${file}: derived.prior: a data prior needs its source spec and image shape (source, image) — was config.json edited?`);
  }
  stored.derived = { ...stored.derived, prior: priorArrays(prior) };
  return stored;
}

/** Prior arrays longer than this are kept in prior.bin instead of config.json. */
const INLINE_ARRAY_MAX = 4096;

/**
 * config.json holds the prior's small arrays inline; big ones (an image prior's Cholesky
 * factor has dim² values) go to prior.bin, a checksummed float32 file in the checkpoint
 * format, and config.json records `arrays: "prior.bin"`.
 */
function writePriorArrays(dir: string, prior: Derived['prior'], written: { name: string; values: Float32Array }[] = []): Record<string, unknown> {
  const p = prior as unknown as Record<string, unknown>;
  const present = PRIOR_ARRAY_KEYS.filter((k) => p[k] !== undefined);
  const big = present.some((k) => (p[k] as ArrayLike<number>).length > INLINE_ARRAY_MAX);
  const out: Record<string, unknown> = { ...p };
  if (!big) {
    for (const k of present) out[k] = Array.from(p[k] as ArrayLike<number>);
    return out;
  }
  const tensors = present.map((k) => {
    const values = Float32Array.from(p[k] as ArrayLike<number>);
    return { name: k, shape: [values.length], values };
  });
  writeFileAtomic(path.join(dir, PRIOR_FILE), encodeCheckpoint({ iteration: 0, rng: new Rng(0).state(), adamStep: 0, tensors }));
  written.push(...tensors);
  for (const k of present) delete out[k];
  out.arrays = PRIOR_FILE;
  return out;
}

const PRIOR_FILE = 'prior.bin';

function readPriorArrays(dir: string, prior: Record<string, unknown>): Derived['prior'] {
  if (prior.arrays === undefined) return prior as unknown as Derived['prior'];
  const file = path.join(dir, PRIOR_FILE);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the prior's arrays (${(e as NodeJS.ErrnoException).code ?? e}); config.json refers to it`);
  }
  let decoded;
  try {
    decoded = decodeCheckpoint(buf, file);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return withPriorArrays(prior, decoded.tensors);
}

/** The prior of config.json with its arrays from prior.bin put back. */
function withPriorArrays(prior: Record<string, unknown>, arrays: { name: string; values: Float32Array }[]): Derived['prior'] {
  const out: Record<string, unknown> = { ...prior };
  delete out.arrays;
  for (const t of arrays) out[t.name] = t.values;
  return out as unknown as Derived['prior'];
}

export function writeStoredRun(
  dir: string,
  config: RunConfig,
  derived: Derived,
  createdAt?: string,
  engine?: { backend: string },
): StoredRun {
  return writeStoredRunText(runPaths(dir), config, derived, createdAt, engine).stored;
}

/** Writes config.json (and prior.bin); returns the run and what reading them back gives, without reading them. */
function writeStoredRunText(
  paths: RunPaths,
  config: RunConfig,
  derived: Derived,
  createdAt?: string,
  engine?: { backend: string },
): { stored: StoredRun; readBack: StoredRun } {
  const stored: StoredRun = { dggf: PACKAGE_VERSION, createdAt: createdAt ?? new Date().toISOString(), config, derived, ...(engine ? { engine } : {}) };
  ensureDir(paths.dir);
  const arrays: { name: string; values: Float32Array }[] = [];
  const onDisk = { ...stored, derived: { ...derived, prior: writePriorArrays(paths.dir, derived.prior, arrays) } };
  const file = paths.config;
  const text = JSON.stringify(onDisk, null, 2) + '\n';
  writeFileAtomic(file, text);
  return { stored, readBack: parseStoredRun(text, file, (prior) => (prior.arrays === undefined ? (prior as unknown as Derived['prior']) : withPriorArrays(prior, arrays))) };
}

export function readMetrics(file: string): MetricsLine[] {
  return fs.existsSync(file) ? parseMetricsLines(fs.readFileSync(file, 'utf8')) : [];
}

/** Appends one line (not fsynced: a resumed run truncates the file to its checkpoint and logs the rest again). */
export function appendMetrics(file: string, line: MetricsLine): void {
  appendChecked(file, JSON.stringify(line) + '\n');
}

/** Drops the lines after `iteration` (a resumed run logs them again). */
export function truncateMetrics(file: string, iteration: number): void {
  const kept = readMetrics(file).filter((l) => l.iteration <= iteration);
  writeFileAtomic(file, kept.map((l) => JSON.stringify(l) + '\n').join(''));
}

/**
 * A run folder opened once: its paths, its stored run (config.json validated, with the
 * prior's arrays; null while the folder holds no run yet), its checkpoints, metrics and lock.
 * Commands, the trainer and the reports are handed this object and never re-open the folder.
 */
export class Run {
  readonly dir: string;
  private current: StoredRun | null;

  private constructor(readonly paths: RunPaths) {
    this.dir = paths.dir;
    this.current = readStoredRunAt(paths);
  }

  /**
   * Opens the folder `dir`, new or existing: reads and validates its config.json when there is
   * one (a ConfigError naming the file when it is not a run's). A path that is not a folder
   * opens as a run without a config (the trainer says what is wrong with it).
   */
  static open(dir: string): Run {
    return new Run(runPaths(dir));
  }

  /** The stored run (config.json), or null when the folder holds none yet. */
  get stored(): StoredRun | null {
    return this.current;
  }

  /** Writes config.json (creating the folder) and holds what it says from now on. */
  save(config: RunConfig, derived: Derived, createdAt?: string, engine?: { backend: string }): StoredRun {
    const { stored, readBack } = writeStoredRunText(this.paths, config, derived, createdAt, engine);
    this.current = readBack;
    return stored;
  }

  /** The newest checkpoint that reads back intact (see `latestCheckpoint`); `unreadable` collects the rest when none does. */
  latestCheckpoint(unreadable: SkippedCheckpoint[] = []): LatestCheckpoint | null {
    return latestCheckpoint(this.paths.checkpoints, unreadable);
  }

  /** Writes a checkpoint, keeping the newest `keep`; returns its file. */
  writeCheckpoint(c: Checkpoint, keep: number): string {
    const file = writeCheckpoint(this.paths.checkpoints, c);
    pruneCheckpoints(this.paths.checkpoints, keep);
    return file;
  }

  /** The lines of metrics.jsonl (none when it is missing). */
  metrics(): MetricsLine[] {
    return readMetrics(this.paths.metrics);
  }

  appendMetrics(line: MetricsLine): void {
    appendMetrics(this.paths.metrics, line);
  }

  /** Drops the metrics lines after `iteration` (a resumed run logs them again). */
  truncateMetrics(iteration: number): void {
    truncateMetrics(this.paths.metrics, iteration);
  }

  /** Takes the folder's lock (see `lockRunFolder`). */
  lock(): { release: () => void; note: string | null } {
    return lockRunFolder(this.dir);
  }
}
