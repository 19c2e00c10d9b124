/**
 * Runs training in a run folder: creates it or resumes from its newest intact checkpoint,
 * logs metrics, writes checkpoints atomically and sample previews, and stops cleanly (keeping
 * the last good checkpoint) when training diverges (a non-finite loss, or a loss explosion).
 * An abort signal (SIGINT/SIGTERM in the CLI) stops it after the current iteration, with a
 * checkpoint of that iteration. It never starts a run over when its checkpoints exist but none
 * reads back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { activeBackend } from '../engine/index.js';
import { ConfigError, type RunConfig } from '../config/schema.js';
import { isImageDataset, type ImageDataset, type PointDataset } from '../data/types.js';
import { loadPriorSource, priorForRun } from '../priors/image-source.js';
import { FlowModel } from '../flow/model.js';
import { assignParams } from '../nets/params.js';
import { Rng } from '../util/rng.js';
import { CheckpointError, checkpointName, iterationTag, type Checkpoint, type LatestCheckpoint, type SkippedCheckpoint } from './checkpoint.js';
import { ensureDir } from '../util/fs-atomic.js';
import { eventLoopTurn } from '../util/turn.js';
import { FileWriteError } from '../util/file-error.js';
import { Run, type MetricsLine, type StoredRun } from './run-folder.js';
import { TrainingDivergedError, Trainer, deriveSetup, type StepStats } from './trainer.js';
import { memoryUse, type MemoryUse } from './memory.js';

/** Settings that may change when a run is continued; anything else must match the run. */
export const RESUMABLE_KEYS: (keyof RunConfig)[] = ['iterations', 'checkpointEvery', 'logEvery', 'previewEvery'];

export type TrainEvent =
  | { type: 'start'; total: number; resumedFrom: number | null; skipped: SkippedCheckpoint[] }
  | { type: 'tick'; iteration: number }
  | { type: 'log'; stats: StepStats; itPerSec: number; etaSeconds: number; line: MetricsLine }
  | { type: 'checkpoint'; iteration: number; file: string }
  | { type: 'preview'; iteration: number; samples: Float32Array; file: string }
  | { type: 'diverged'; iteration: number; reason: string; keptCheckpoint: string | null }
  | { type: 'interrupted'; iteration: number; signal: string; checkpoint: string | null; saved: boolean }
  | { type: 'warning'; message: string }
  | { type: 'done'; iteration: number; seconds: number; memory: MemoryUse; alreadyComplete?: boolean };

/** Where a run trains: its folder opened once (`run`), or a folder path that trainRun opens. */
export type TrainRunFolder = { run: Run; dir?: undefined } | { dir: string; run?: undefined };

export type TrainRunOptions = TrainRunFolder & TrainRunSettings;

export interface TrainRunSettings {
  config: RunConfig;
  /** Config keys the user set explicitly (checked against an existing run). */
  explicitKeys?: (keyof RunConfig)[];
  dataset: PointDataset;
  onEvent?: (e: TrainEvent) => void;
  /** Renders a preview PNG of samples (injected so this module stays free of pictures). */
  renderPreview?: (samples: Float32Array, dataset: PointDataset, file: string, iteration: number) => void;
  /** Stop after this many iterations in this call (tests); the run stays resumable. */
  stopAfter?: number;
  /**
   * Stops training after the current iteration, writing a checkpoint of it (status
   * 'interrupted'); the abort reason (e.g. 'SIGINT') is reported in the event.
   */
  signal?: AbortSignal;
  /**
   * The source domain of a data prior (config.priorData), when the caller has loaded it already;
   * otherwise it is loaded from the config's (or the stored run's) spec.
   */
  priorSource?: ImageDataset;
}

export interface TrainRunResult {
  stored: StoredRun;
  iteration: number;
  /** 'diverged': NaN/Inf or a loss explosion; 'interrupted': by `signal`; 'stopped': by `stopAfter`. */
  status: 'done' | 'diverged' | 'stopped' | 'interrupted';
  /** The run had all its iterations already: nothing was trained (or re-drawn). */
  alreadyComplete?: boolean;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Validates `config` against the run in `run`'s folder (if any) without writing anything.
 * Returns the config to use: the stored one with the resumable keys taken from `config`.
 */
export function reconcileConfig(run: Run, config: RunConfig, explicitKeys: (keyof RunConfig)[]): {
  stored: StoredRun | null;
  config: RunConfig;
} {
  const { dir } = run;
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new ConfigError(`${dir} exists and is not a folder (expected a new or existing run folder)`);
  }
  const stored = run.stored;
  if (!stored) {
    // a run that was killed before its config.json was written leaves only these behind
    const leftovers = (f: string) => f === '.lock' || (f.startsWith('.') && f.endsWith('.tmp'));
    if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => !leftovers(f))) {
      throw new ConfigError(`${dir} exists and is not empty, but holds no config.json: not a dggf run folder (use a new --out)`);
    }
    return { stored: null, config };
  }
  const conflicts = explicitKeys.filter((k) => !RESUMABLE_KEYS.includes(k) && !same(stored.config[k], config[k]));
  if (conflicts.length) {
    const k = conflicts[0];
    throw new ConfigError(
      `${run.paths.config}: this run was created with ${k} = ${JSON.stringify(stored.config[k])}, ` +
        `not ${JSON.stringify(config[k])}; re-run without that option to resume, or use a new --out`,
    );
  }
  const merged = { ...stored.config };
  for (const k of RESUMABLE_KEYS) if (explicitKeys.includes(k)) (merged as Record<string, unknown>)[k] = config[k];
  return { stored, config: merged };
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainRunResult> {
  const run = opts.run ?? Run.open(opts.dir);
  const { dir, paths } = run;
  const { dataset } = opts;
  const emit = opts.onEvent ?? (() => {});
  const { stored: existing, config } = reconcileConfig(run, opts.config, opts.explicitKeys ?? []);
  if (existing) checkDataFitsRun(existing.derived, dataset, dir);
  const priorSource =
    config.prior === 'data' && !existing ? (opts.priorSource ?? loadPriorSource(config.priorData!, { size: config.imageSize })) : opts.priorSource;
  const derived = existing?.derived ?? (await deriveSetup(config, dataset, priorSource));
  const prior = priorForRun(derived.prior, { configFile: paths.config, loaded: priorSource });

  // Everything that can fail on the user's input is checked before the folder is written.
  const trainer = new Trainer(config, dataset, derived, prior);
  let releaseLock: (() => void) | null = null;
  try {
    const latest = resumePoint(run);
    if (latest) {
      try {
        trainer.restore(latest.checkpoint, latest.file);
      } catch (e) {
        throw new CheckpointError(`${latest.file} does not fit this run's net (${(e as Error).message}); was config.json edited?`);
      }
      if (config.iterations < latest.checkpoint.iteration) {
        throw new ConfigError(
          `--iterations ${config.iterations} is below the ${latest.checkpoint.iteration} iterations this run has done (use ≥ ${latest.checkpoint.iteration})`,
        );
      }
    }
    const backend = activeBackend();
    if (existing?.engine && backend && existing.engine.backend !== backend) {
      emit({ type: 'warning', message: `this run was trained on backend '${existing.engine.backend}', now '${backend}': the resumed run will not be bit-identical` });
    }
    try {
      ensureDir(dir);
    } catch (e) {
      throw e instanceof FileWriteError ? new FileWriteError(e.path, e.code, 'create the folder', `cannot create the run folder ${dir}`) : e;
    }
    const lock = run.lock();
    releaseLock = lock.release;
    if (lock.note) emit({ type: 'warning', message: lock.note });
    const stored =
      existing && same(existing.config, config)
        ? existing
        : run.save(config, derived, existing?.createdAt, existing?.engine ?? (backend ? { backend } : undefined));
    ensureDir(paths.checkpoints);
    ensureDir(paths.samples);
    removeStaleTemporaries(paths.checkpoints);
    let lastGood: string | null = null;
    if (latest) {
      lastGood = latest.file;
      run.truncateMetrics(latest.checkpoint.iteration);
    } else if (fs.existsSync(paths.metrics)) {
      run.truncateMetrics(0);
    }
    emit({ type: 'start', total: config.iterations, resumedFrom: latest?.checkpoint.iteration ?? null, skipped: latest?.skipped ?? [] });

    const save = async (): Promise<void> => {
      const file = run.writeCheckpoint(await trainer.checkpoint(), 3);
      lastGood = file;
      emit({ type: 'checkpoint', iteration: trainer.iteration, file });
    };
    const savedNow = (): boolean => lastGood !== null && path.basename(lastGood) === checkpointName(trainer.iteration);
    const preview = async (tag: string): Promise<void> => {
      if (!opts.renderPreview) return;
      // a 8×8 grid for images (each sample costs a full flow), a cloud of 1000 for points
      const { samples } = await trainer.model.sample(isImageDataset(dataset) ? 64 : 1000, { seed: config.seed + 1 });
      const file = path.join(paths.samples, `${tag}.png`);
      opts.renderPreview(samples, dataset, file, trainer.iteration);
      emit({ type: 'preview', iteration: trainer.iteration, samples, file });
    };

    if (savedNow() && trainer.iteration >= config.iterations) {
      emit({ type: 'done', iteration: trainer.iteration, seconds: 0, memory: memoryUse(), alreadyComplete: true });
      return { stored, iteration: trainer.iteration, status: 'done', alreadyComplete: true };
    }
    const stallWatch = stallDetector();
    const t0 = performance.now();
    const startIt = trainer.iteration;
    let windowStart = t0;
    let windowIt = startIt;
    let ran = 0;
    while (trainer.iteration < config.iterations) {
      // a turn of the event loop, so a signal handler runs even when the engine computes synchronously
      await eventLoopTurn();
      if (opts.signal?.aborted) {
        // an iteration done since the last checkpoint is saved; otherwise there is nothing new to keep
        const saved = trainer.iteration > startIt && !savedNow();
        if (saved) await save();
        emit({ type: 'interrupted', iteration: trainer.iteration, signal: String(opts.signal.reason ?? 'abort'), checkpoint: lastGood, saved });
        return { stored, iteration: trainer.iteration, status: 'interrupted' };
      }
      if (opts.stopAfter !== undefined && ran >= opts.stopAfter) {
        return { stored, iteration: trainer.iteration, status: 'stopped' };
      }
      let stats: StepStats;
      try {
        stats = await trainer.step();
      } catch (e) {
        if (e instanceof TrainingDivergedError) {
          emit({ type: 'diverged', iteration: e.iteration, reason: e.message, keptCheckpoint: lastGood });
          return { stored, iteration: trainer.iteration, status: 'diverged' };
        }
        throw e;
      }
      ran++;
      const it = stats.iteration;
      emit({ type: 'tick', iteration: it });
      if (it % config.logEvery === 0 || it === config.iterations) {
        const now = performance.now();
        const itPerSec = ((it - windowIt) * 1000) / Math.max(1e-6, now - windowStart);
        windowStart = now;
        windowIt = it;
        const line: MetricsLine = {
          iteration: it,
          loss: stats.loss,
          ...(stats.klEstimate !== undefined ? { kl_estimate: stats.klEstimate } : {}),
          ...(stats.chi2Estimate !== undefined ? { chi2_estimate: stats.chi2Estimate } : {}),
          lr: stats.lr,
          grad_norm: stats.gradNorm,
          it_per_s: itPerSec,
          elapsed_s: (now - t0) / 1000,
          ...memoryFields(memoryUse()),
        };
        run.appendMetrics(line);
        const avg = (it - startIt) / Math.max(1e-6, (now - t0) / 1000);
        emit({ type: 'log', stats, itPerSec, etaSeconds: (config.iterations - it) / Math.max(1e-9, avg), line });
        const stall = stallWatch(stats);
        if (stall) emit({ type: 'warning', message: stall });
      }
      if (it % config.checkpointEvery === 0 || it === config.iterations) await save();
      if (config.previewEvery > 0 && it % config.previewEvery === 0 && it !== config.iterations) {
        await preview(iterationTag(it));
      }
    }
    if (!savedNow()) await save();
    await preview('final');
    emit({ type: 'done', iteration: trainer.iteration, seconds: (performance.now() - t0) / 1000, memory: memoryUse() });
    return { stored, iteration: trainer.iteration, status: 'done' };
  } finally {
    trainer.dispose();
    releaseLock?.();
  }
}

/**
 * The checkpoint a run resumes from: the newest intact one, or null when the folder has none.
 * When checkpoints exist but none reads back, training from iteration 0 would overwrite them:
 * a CheckpointError says so instead, naming each file and its fault.
 */
function resumePoint(run: Run): LatestCheckpoint | null {
  const dir = run.paths.checkpoints;
  const unreadable: SkippedCheckpoint[] = [];
  const latest = run.latestCheckpoint(unreadable);
  if (latest || unreadable.length === 0) return latest;
  const list = unreadable.map((u) => u.reason).join('; ');
  throw new CheckpointError(
    `none of the ${unreadable.length} checkpoint${unreadable.length === 1 ? '' : 's'} in ${dir} reads back (${list}); ` +
      'refusing to start this run over from iteration 0 over them: move them out of the way to start over, or use a new --out',
  );
}

/**
 * Watches the KL estimate (log-ratio nets) for the sign of a stalled flow: the net has become
 * confident that the particles are not data (mean log r far above 0) and stays so. With JS the
 * drift then saturates and the particles stop moving. Says so once, with what to change.
 */
export function stallDetector(threshold = 1, patience = 3): (s: StepStats) => string | null {
  let run = 0;
  let said = false;
  return (s) => {
    if (said || s.klEstimate === undefined) return null;
    run = s.klEstimate > threshold ? run + 1 : 0;
    if (run < patience) return null;
    said = true;
    return (
      `the KL estimate has stayed above ${threshold} (now ${s.klEstimate.toFixed(2)}): the net tells particles from data ` +
      'with confidence and the flow may have stalled; a new run with a smaller --lr (e.g. 3e-4) or --eta usually avoids this'
    );
  };
}

/** Temporary files of atomic writes interrupted by a kill (never read; safe to delete). */
function removeStaleTemporaries(dir: string): void {
  for (const f of fs.readdirSync(dir)) if (f.startsWith('.') && f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true });
}

/** Throws a ConfigError when `dataset` is not the kind of data the run was trained on. */
export function checkDataFitsRun(derived: StoredRun['derived'], dataset: PointDataset, dir: string): void {
  const want = derived.image;
  if (want) {
    const what = `${want.height}×${want.width}×${want.channels}`;
    if (!isImageDataset(dataset)) {
      throw new ConfigError(`${dataset.name} is ${dataset.dim}-D points, but the run in ${dir} was trained on ${what} images`);
    }
    const got = dataset.image;
    if (got.height !== want.height || got.width !== want.width || got.channels !== want.channels) {
      const gray = (c: number) => (c === 1 ? 'grayscale' : 'RGB');
      const why = got.channels !== want.channels ? ` (${gray(got.channels)} vs the run's ${gray(want.channels)})` : '';
      throw new ConfigError(
        `${dataset.name} holds ${got.height}×${got.width}×${got.channels} images${why}, but the run in ${dir} was trained on ${what} images`,
      );
    }
    return;
  }
  if (isImageDataset(dataset)) {
    throw new ConfigError(`${dataset.name} holds images, but the run in ${dir} was trained on ${derived.dim}-D points`);
  }
  if (derived.dim !== dataset.dim) {
    throw new ConfigError(`${dataset.name} has ${dataset.dim} columns, expected ${derived.dim} (the run in ${dir} was trained on ${derived.dim}-D data)`);
  }
}

/**
 * A trained model loaded from a run's newest intact checkpoint (net + EMA weights); `folder` is
 * the run opened once, or its path (opened here). `skipped` lists newer checkpoints that did
 * not read back (callers say so). A data prior's source images are loaded again from the spec
 * in config.json (a ConfigError naming both when they cannot be), unless `priorOptional`: then
 * a missing source only fails when the prior is drawn from (translating given images does not
 * need it).
 */
export function loadRun(
  folder: Run | string,
  opts: { priorOptional?: boolean } = {},
): { stored: StoredRun; model: FlowModel; checkpoint: Checkpoint; file: string; skipped: SkippedCheckpoint[] } {
  const run = typeof folder === 'string' ? Run.open(folder) : folder;
  const { dir, stored } = run;
  if (!stored) throw new ConfigError(`${dir}: no config.json here: not a dggf run folder`);
  const unreadable: SkippedCheckpoint[] = [];
  const latest = run.latestCheckpoint(unreadable);
  if (!latest) {
    const why = unreadable.length ? `: none reads back (${unreadable.map((u) => u.reason).join('; ')})` : ' (train first)';
    throw new ConfigError(`${dir}: no intact checkpoint in checkpoints/${why}`);
  }
  const model = new FlowModel(stored.config, stored.derived, new Rng(0), priorForRun(stored.derived.prior, { configFile: run.paths.config, optional: opts.priorOptional }));
  try {
    assignParams([...model.net.params, ...model.ema.params], latest.checkpoint.tensors, latest.file);
  } catch (e) {
    model.dispose();
    throw new CheckpointError(`${(e as Error).message}; does config.json still describe this run's net?`);
  }
  return { stored, model, checkpoint: latest.checkpoint, file: latest.file, skipped: latest.skipped };
}

/** metrics.jsonl fields of a memory reading. */
function memoryFields(m: MemoryUse): Pick<MetricsLine, 'rss_mb' | 'peak_rss_mb' | 'engine_mb' | 'tensors'> {
  return { rss_mb: m.rssMb, peak_rss_mb: m.peakRssMb, engine_mb: m.engineMb, tensors: m.tensors };
}
