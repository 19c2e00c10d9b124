/**
 * The training host: owns the engine and one session (a Trainer — Algorithm 1 from
 * src/train/trainer.ts, exactly as the CLI runs it — with the page's view of it), and runs
 * iterations in slices of a few tens of milliseconds, yielding between slices so that
 * messages (pause, new settings, export) are served. Normally in a module worker
 * (worker.ts); where a worker cannot start the engine, on the page's thread (main.ts).
 *
 * What the page sees, all computed with the library: the particles are
 * `FlowModel.sample` of a fixed prior draw with the current EMA weights (the sampler of
 * `dggf sample`), refreshed a few times a second; the heat map is the EMA net's log r on a
 * grid; MMD (src/eval/mmd.ts) compares those particles with a fresh data draw every
 * MMD_EVERY iterations. None of it touches the trainer's RNG, so the training itself is the
 * run `dggf train` would do with the same settings and seed (up to the backend's arithmetic).
 *
 * A loaded image run is sampled, not trained (its dataset is not in the browser): its
 * "particles" are a grid of images, and its replay the grid along the flow.
 */
import { initBrowserEngine, tf } from '../../src/engine/browser.js';
import { Trainer, deriveSetup, TrainingDivergedError } from '../../src/train/trainer.js';
import { isToyName } from '../../src/data/toy2d.js';
import { parseCsvPoints } from '../../src/data/csv.js';
import { finiteDataset, toyDataset } from '../../src/data/points.js';
import type { PointDataset } from '../../src/data/types.js';
import { normalize, type NormalizerState } from '../../src/data/normalizer.js';
import { defaultBandwidths, mmdRbf } from '../../src/eval/mmd.js';
import { Rng } from '../../src/util/rng.js';
import type { RunConfig } from '../../src/config/schema.js';
import type { Derived } from '../../src/flow/model.js';
import { configFromSettings, pairings } from './config.js';
import { newestCheckpoint, parseMetrics, parseStoredRun, RunFileError } from './run-files.js';
import { HEAT_GRID, type Bounds, type FromHost, type LiveSettings, type SessionInfo, type Settings, type ToHost } from './protocol.js';

export type Post = (msg: FromHost, transfer?: Transferable[]) => void;

/** Particles shown, and compared with the data by MMD. */
const VIEW_SIZE = 512;
/** Images shown of an image run (fewer when one image is large: see imageCount). */
const IMAGE_GRID = 64;
/** Most flow snapshots of an image run's replay. */
const IMAGE_SNAPSHOTS = 40;
/** Particles whose paths through the flow are drawn. */
const TRAIL_COUNT = 80;
const MMD_EVERY = 25;
/** Longest stretch of training between two looks at the message queue. */
const SLICE_MS = 45;
/** Shortest time between two particle / heat-map refreshes while training. */
const VIEW_EVERY_MS = 110;
const HEAT_EVERY_MS = 300;

/** Run `fn` on a later task, not clamped like nested timers are. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

function viewBounds(data: Float32Array | null, nz: NormalizerState): Bounds {
  // where the prior starts (≈ ±2.5 std of the data) joined with where the data is
  let [x0, x1] = [nz.mean[0] - 2.5 * nz.std[0], nz.mean[0] + 2.5 * nz.std[0]];
  let [y0, y1] = [nz.mean[1] - 2.5 * nz.std[1], nz.mean[1] + 2.5 * nz.std[1]];
  if (data && data.length >= 4) {
    const q = (col: number, p: number): number => {
      const v = Float32Array.from({ length: data.length / 2 }, (_, i) => data[2 * i + col]).sort();
      return v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))];
    };
    x0 = Math.min(x0, q(0, 0.002));
    x1 = Math.max(x1, q(0, 0.998));
    y0 = Math.min(y0, q(1, 0.002));
    y1 = Math.max(y1, q(1, 0.998));
  }
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const half = (Math.max(x1 - x0, y1 - y0) / 2) * 1.08 || 1;
  return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
}

/** Heat-grid cell centres in data space, row 0 at the top. */
function gridPoints(b: Bounds): Float32Array {
  const g = new Float32Array(HEAT_GRID * HEAT_GRID * 2);
  for (let r = 0; r < HEAT_GRID; r++) {
    for (let c = 0; c < HEAT_GRID; c++) {
      const i = r * HEAT_GRID + c;
      g[2 * i] = b.x0 + ((c + 0.5) / HEAT_GRID) * (b.x1 - b.x0);
      g[2 * i + 1] = b.y1 - ((r + 0.5) / HEAT_GRID) * (b.y1 - b.y0);
    }
  }
  return g;
}

/** Images an image run shows: IMAGE_GRID, fewer above 3,072 values per image (32×32 RGB), so that a replay stays under ~35 MB. */
export function imageCount(dim: number): number {
  return Math.max(4, Math.min(IMAGE_GRID, Math.floor((IMAGE_GRID * 3072) / dim)));
}

class Session {
  /** Fresh data draws for MMD (independent of the trainer's RNG). */
  private readonly pageRng: Rng;
  private readonly bandwidths: number[] | null;
  private readonly grid: Float32Array;
  readonly viewSeed: number;

  constructor(
    readonly trainer: Trainer,
    readonly dataset: PointDataset | null,
    readonly info: SessionInfo,
  ) {
    const seed = trainer.config.seed;
    this.pageRng = new Rng((seed ^ 0x7a9e5eed) >>> 0);
    this.viewSeed = (seed + 0x5eed) >>> 0;
    this.grid = info.image ? new Float32Array(0) : gridPoints(info.bounds);
    if (dataset) {
      const reference = dataset.sample(VIEW_SIZE, this.pageRng);
      this.bandwidths = defaultBandwidths(reference, 2);
      info.mmdFloor = mmdRbf(dataset.sample(VIEW_SIZE, this.pageRng), reference, 2, this.bandwidths);
    } else {
      this.bandwidths = null;
    }
  }

  get config(): RunConfig {
    return this.trainer.config;
  }

  /** The sampling flow from the fixed prior draw, every step recorded (an image run's: every few, so that at most IMAGE_SNAPSHOTS). */
  async replay(): Promise<{ steps: number[]; frames: Float32Array[]; kl?: number[] }> {
    const model = this.trainer.model;
    const steps = this.config.flowSteps + this.config.sampleExtraSteps;
    const every = this.info.image ? Math.max(1, Math.ceil(steps / IMAGE_SNAPSHOTS)) : 1;
    const r = await model.sample(this.info.viewSize, { seed: this.viewSeed, trajectoryEvery: every, klCurve: model.logRatioNet });
    const trajectory = r.trajectory ?? [];
    return { steps: trajectory.map((t) => t.step), frames: trajectory.map((t) => t.points), kl: r.kl };
  }

  /** Particles after the sampling flow from the fixed prior draw, and some of their paths. */
  async view(withTrails: boolean): Promise<{ particles: Float32Array; trails?: { snapshots: number; count: number; points: Float32Array } }> {
    const steps = this.config.flowSteps + this.config.sampleExtraSteps;
    const every = Math.max(1, Math.round(steps / 12));
    if (this.info.image) withTrails = false;
    const r = await this.trainer.model.sample(this.info.viewSize, { seed: this.viewSeed, trajectoryEvery: withTrails ? every : undefined });
    if (!withTrails || !r.trajectory) return { particles: r.samples };
    const count = Math.min(TRAIL_COUNT, VIEW_SIZE);
    const points = new Float32Array(r.trajectory.length * count * 2);
    r.trajectory.forEach((t, s) => points.set(t.points.subarray(0, count * 2), s * count * 2));
    return { particles: r.samples, trails: { snapshots: r.trajectory.length, count, points } };
  }

  /** log r of the EMA net on the heat grid. */
  heat(): Float32Array {
    const model = this.trainer.model;
    const x = normalize(this.grid, 2, this.trainer.derived.normalizer);
    return tf.tidy(() => {
      const out = model.net.apply(tf.tensor2d(x, [HEAT_GRID * HEAT_GRID, 2]), model.ema.variables);
      const logR = model.logRatioNet ? out : tf.log(tf.maximum(out, 1e-6));
      return logR.dataSync() as Float32Array;
    });
  }

  mmd(particles: Float32Array): number | null {
    if (!this.dataset || !this.bandwidths) return null;
    return mmdRbf(particles, this.dataset.sample(VIEW_SIZE, this.pageRng), 2, this.bandwidths);
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

function sessionInfoBase(config: RunConfig, settings: Settings, kind: SessionInfo['kind'], label: string, bounds: Bounds, data: Float32Array): SessionInfo {
  return {
    kind,
    label,
    settings,
    bounds,
    data,
    estimate: config.loss === 'lsif' ? 'chi2' : 'kl',
    mmdFloor: null,
    viewSize: VIEW_SIZE,
    iteration: 0,
    canTrain: true,
    notes: [],
  };
}

async function buildSession(settings: Settings): Promise<Session> {
  let dataset: PointDataset;
  let name: string;
  if (settings.target === 'custom') {
    if (!settings.points || settings.points.length < 4) throw new RunFileError('custom points: expected at least 2 points (x,y per line)');
    name = 'custom points';
    dataset = finiteDataset(name, settings.points, 2);
  } else if (isToyName(settings.target)) {
    name = settings.target;
    dataset = toyDataset(settings.target);
  } else if (settings.target.startsWith('run:')) {
    throw new RunFileError(`target: ${settings.target.slice(4)} is the loaded image run's data, which the page cannot train on: choose a 2-D target to start a new run`);
  } else {
    throw new RunFileError(`target: unknown target '${settings.target}'`);
  }
  const config = configFromSettings(settings, name);
  const derived = await deriveSetup(config, dataset);
  const preview = dataset.points && dataset.points.length <= 6000 ? dataset.points : dataset.sample(1500, new Rng(settings.seed + 11));
  const bounds = viewBounds(preview, derived.normalizer);
  const trainer = new Trainer(config, dataset, derived);
  const info = sessionInfoBase(config, settings, 'train', name, bounds, preview);
  return new Session(trainer, dataset, info);
}

/** A trainer whose data cannot be drawn here: it restores and samples, and says why it cannot train. */
function unloadedData(config: RunConfig, dim: number, why: string): PointDataset {
  return {
    name: config.data,
    dim,
    sample: () => {
      throw new RunFileError(why);
    },
  };
}

function restored(trainer: Trainer, ckpt: Awaited<ReturnType<typeof newestCheckpoint>>): Trainer {
  try {
    trainer.restore(ckpt.checkpoint, ckpt.name);
  } catch (e) {
    trainer.dispose();
    throw new RunFileError(`${(e as Error).message}; does config.json describe this checkpoint's run?`);
  }
  return trainer;
}

function settingsOf(config: RunConfig, target: string): Settings {
  return {
    target,
    divergence: config.divergence,
    loss: config.loss,
    eta: config.eta,
    noise: config.noise,
    flowSteps: config.flowSteps,
    batch: config.batch,
    lr: config.lr,
    seed: config.seed,
    iterations: config.iterations,
  };
}

/**
 * An image run: the page samples it (a grid of images, and their flow) but does not train it,
 * since its dataset is not in the browser. η, ν and K still steer the sampling flow.
 */
function loadImageSession(config: RunConfig, derived: Derived, ckpt: Awaited<ReturnType<typeof newestCheckpoint>>, notes: string[], metrics?: string): Session {
  const why = `an image run samples here but does not train: its data (${config.data}) is not in the browser; \`dggf train --out DIR\` resumes it`;
  const trainer = restored(new Trainer(config, unloadedData(config, derived.dim, why), derived), ckpt);
  const { height, width, channels } = derived.image!;
  const info = sessionInfoBase(config, settingsOf(config, `run:${config.data}`), 'run', `image run on ${config.data} (${height}×${width}${channels === 3 ? ' RGB' : ''}), ${ckpt.name}`, { x0: -1, x1: 1, y0: -1, y1: 1 }, new Float32Array(0));
  info.image = derived.image;
  info.viewSize = imageCount(derived.dim);
  info.iteration = trainer.iteration;
  info.canTrain = false;
  info.notes = [...notes, why];
  if (metrics) info.history = parseMetrics(metrics);
  return new Session(trainer, null, info);
}

async function loadSession(msg: Extract<ToHost, { type: 'load' }>): Promise<Session> {
  const { config, derived, priorUnverified } = await parseStoredRun(msg.config, 'config.json', msg.prior);
  const ckpt = await newestCheckpoint(msg.checkpoints);
  const notes: string[] = [];
  if (!ckpt.verified || priorUnverified) notes.push('checksum not verified (this page is not in a secure context)');
  for (const s of ckpt.skipped) notes.push(`skipped ${s}`);
  if (derived.image) return loadImageSession(config, derived, ckpt, notes, msg.metrics);
  let dataset: PointDataset | null = null;
  if (isToyName(config.data)) {
    dataset = toyDataset(config.data);
  } else if (msg.data) {
    const csv = parseCsvPoints(msg.data.text, msg.data.name);
    if (csv.dim !== 2) throw new RunFileError(`${msg.data.name} has ${csv.dim} columns, expected 2 (the run's data)`);
    dataset = finiteDataset(config.data, csv.points, 2);
  } else {
    notes.push(`trained on ${config.data}: add that CSV to continue training or to measure MMD`);
  }
  const trainer = restored(new Trainer(config, dataset ?? unloadedData(config, 2, `the run's data (${config.data}) was not loaded`), derived), ckpt);
  const preview = dataset ? (dataset.points && dataset.points.length <= 6000 ? dataset.points : dataset.sample(1500, new Rng(config.seed + 11))) : new Float32Array(0);
  const bounds = viewBounds(dataset ? preview : null, derived.normalizer);
  const settings = settingsOf(config, isToyName(config.data) ? config.data : 'custom');
  const info = sessionInfoBase(config, settings, 'run', `run on ${config.data}, ${ckpt.name}`, bounds, preview);
  info.iteration = trainer.iteration;
  info.canTrain = dataset !== null;
  info.notes = notes;
  if (msg.metrics) info.history = parseMetrics(msg.metrics);
  return new Session(trainer, dataset, info);
}

/** Creates the host; feed it every message from the page. */
export function createHost(post: Post, thread: 'worker' | 'main'): (msg: ToHost) => void {
  let session: Session | null = null;
  let running = false;
  let looping = false;
  let trails = true;
  // per-frame accumulators
  let pending = { iterations: [] as number[], loss: [] as number[], estimate: [] as number[], mmd: [] as { iteration: number; value: number }[] };
  /**
   * Session work (training slices, views, exports) runs one piece at a time: the flow reads its
   * results back asynchronously, so a message may arrive mid-piece; a replaced session is
   * disposed only once the piece using it has finished.
   */
  let work: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = work.then(fn);
    work = p.catch(() => undefined);
    return p;
  };
  let lastView = 0;
  let lastHeat = 0;
  let stepMs = 0;
  /** Time one view refresh takes (flow of VIEW_SIZE particles), smoothed. */
  let viewMs = 0;
  /** An MMD iteration passed since the last view: measure at the next one. */
  let mmdDue = false;
  const rate: { t: number; it: number }[] = [];

  const itPerSec = (): number => {
    if (rate.length < 2) return 0;
    const a = rate[0];
    const b = rate[rate.length - 1];
    return b.t > a.t ? ((b.it - a.it) * 1000) / (b.t - a.t) : 0;
  };

  const emit = async (s: Session, opts: { view: boolean; heat: boolean }): Promise<void> => {
    const transfer: Transferable[] = [];
    const now = performance.now();
    let particles: Float32Array | undefined;
    let trailData: { snapshots: number; count: number; points: Float32Array } | undefined;
    if (opts.view || mmdDue) {
      const t0 = performance.now();
      const v = await s.view(trails);
      const t1 = performance.now();
      viewMs = viewMs === 0 ? t1 - t0 : 0.8 * viewMs + 0.2 * (t1 - t0);
      particles = v.particles;
      trailData = v.trails;
      if (mmdDue) {
        mmdDue = false;
        const value = s.mmd(particles);
        if (value !== null) pending.mmd.push({ iteration: s.trainer.iteration, value });
      }
      transfer.push(particles.buffer);
      if (trailData) transfer.push(trailData.points.buffer);
      lastView = t1;
    }
    let heat: Float32Array | undefined;
    if (opts.heat && !s.info.image) {
      heat = s.heat();
      transfer.push(heat.buffer);
      lastHeat = now;
    }
    const frame = {
      iteration: s.trainer.iteration,
      ...pending,
      particles,
      trails: trailData,
      heat,
      itPerSec: itPerSec(),
      stepMs,
      tensors: tf.memory().numTensors,
      running,
    };
    pending = { iterations: [], loss: [], estimate: [], mmd: [] };
    post({ type: 'frame', frame }, transfer);
  };

  /** One iteration; true while the run has iterations left. */
  const iterate = async (s: Session): Promise<boolean> => {
    const t0 = performance.now();
    const stats = await s.trainer.step();
    // replaced while this step ran (an async backend lets messages in): keep its numbers out of the new session's frames
    if (session !== s) return false;
    const t1 = performance.now();
    stepMs = stepMs === 0 ? t1 - t0 : 0.9 * stepMs + 0.1 * (t1 - t0);
    pending.iterations.push(stats.iteration);
    pending.loss.push(stats.loss);
    pending.estimate.push(stats.klEstimate ?? stats.chi2Estimate ?? NaN);
    rate.push({ t: t1, it: stats.iteration });
    while (rate.length > 2 && t1 - rate[0].t > 2500) rate.shift();
    if (stats.iteration % MMD_EVERY === 0) mmdDue = true;
    return stats.iteration < s.config.iterations;
  };

  const fail = (e: unknown): void => {
    running = false;
    const message =
      e instanceof TrainingDivergedError
        ? `${e.message}: the flow or the net diverged — lower η or the learning rate, then Reset`
        : (e as Error).message ?? String(e);
    post({ type: 'error', scope: 'train', message });
    post({ type: 'state', running: false, reason: 'error' });
  };

  const loop = async (): Promise<void> => {
    if (looping) return;
    looping = true;
    const s0 = session;
    try {
      while (running && session === s0 && s0) {
        const sliceStart = performance.now();
        let more = true;
        try {
          await exclusive(async () => {
            do more = await iterate(s0);
            while (more && running && session === s0 && performance.now() - sliceStart < SLICE_MS);
            if (session !== s0) return;
            const now = performance.now();
            // the view costs about one iteration: refresh it at most every VIEW_EVERY_MS, and
            // keep it under a fifth of the time (slow backends, big K)
            const viewDue = now - lastView >= Math.max(VIEW_EVERY_MS, 4 * viewMs);
            await emit(s0, { view: viewDue || !more, heat: now - lastHeat >= Math.max(HEAT_EVERY_MS, 4 * viewMs) || !more });
          });
        } catch (e) {
          // a failure of a session that was replaced meanwhile is not the new session's
          if (session === s0) fail(e);
          break;
        }
        if (session !== s0) break;
        if (!more) {
          running = false;
          post({ type: 'state', running: false, reason: 'done' });
        }
        await nextTask();
      }
    } finally {
      looping = false;
      // a new session started while this loop was finishing a slice of the old one
      if (running && session && session !== s0) void loop();
    }
  };

  const configure = (s: Session, run: boolean): void => {
    const old = session;
    session = s;
    if (old) exclusive(async () => old.dispose()).catch((e: unknown) => console.warn('dggf playground: disposing the previous session failed', e));
    rate.length = 0;
    stepMs = 0;
    viewMs = 0;
    pending = { iterations: [], loss: [], estimate: [], mmd: [] };
    mmdDue = s.dataset !== null; // the starting MMD (iteration 0, or the loaded checkpoint's)
    post({ type: 'configured', info: s.info });
    // an image run's first picture is its replay (the page asks for it), which costs a flow
    if (!s.info.image) exclusive(() => emit(s, { view: true, heat: true })).catch(fail);
    running = run && s.info.canTrain;
    post({ type: 'state', running });
    if (running) void loop();
  };

  const applyLive = (live: LiveSettings): void => {
    if (!session) return;
    // steering: the trainer reads these from its config at every iteration
    const c = session.trainer.config;
    Object.assign(c, { eta: live.eta, noise: live.noise, flowSteps: live.flowSteps, batch: live.batch, lr: live.lr, iterations: live.iterations });
  };

  return (msg: ToHost): void => {
    void (async () => {
      switch (msg.type) {
        case 'init': {
          try {
            const engine = await initBrowserEngine(msg.backend, { wasmPaths: msg.wasmPaths });
            post({ type: 'ready', engine, thread, pairings: pairings() });
          } catch (e) {
            post({ type: 'fatal', message: (e as Error).message });
          }
          return;
        }
        case 'configure': {
          running = false;
          try {
            configure(await buildSession(msg.settings), msg.run);
          } catch (e) {
            post({ type: 'error', scope: 'settings', message: (e as Error).message });
            post({ type: 'state', running: false });
          }
          return;
        }
        case 'load': {
          running = false;
          try {
            configure(await loadSession(msg), false);
          } catch (e) {
            post({ type: 'error', scope: 'load', message: (e as Error).message });
            post({ type: 'state', running: false });
          }
          return;
        }
        case 'tune':
          applyLive(msg.live);
          return;
        case 'options':
          trails = msg.trails;
          return;
        case 'run':
          if (!session) return;
          if (!session.info.canTrain) {
            post({ type: 'error', scope: 'train', message: session.info.notes.join('; ') || 'this session cannot train' });
            return;
          }
          if (session.trainer.iteration >= session.config.iterations) {
            post({ type: 'error', scope: 'train', message: `reached ${session.config.iterations} iterations: raise “iterations” to go on` });
            return;
          }
          running = true;
          post({ type: 'state', running: true });
          void loop();
          return;
        case 'pause':
          running = false;
          post({ type: 'state', running: false });
          return;
        case 'step': {
          if (!session || running) return;
          try {
            if (!session.info.canTrain) throw new Error(session.info.notes.join('; ') || 'this session cannot train');
            const s = session;
            await exclusive(async () => {
              await iterate(s);
              await emit(s, { view: true, heat: true });
            });
          } catch (e) {
            fail(e);
          }
          return;
        }
        case 'export': {
          if (!session) {
            post({ type: 'error', scope: 'export', message: 'nothing to export yet: press Train or Reset first' });
            return;
          }
          try {
            const s = session;
            const r = await exclusive(() => s.trainer.model.sample(msg.n, { seed: (s.config.seed + 1000 + msg.id) >>> 0 }));
            post({ type: 'samples', id: msg.id, points: r.samples }, [r.samples.buffer]);
          } catch (e) {
            post({ type: 'error', scope: 'export', message: (e as Error).message });
          }
          return;
        }
        case 'replay': {
          if (!session) return;
          try {
            const s = session;
            const r = await exclusive(() => s.replay());
            post({ type: 'trajectory', ...r }, r.frames.map((f) => f.buffer));
          } catch (e) {
            post({ type: 'error', scope: 'train', message: (e as Error).message });
          }
          return;
        }
      }
    })();
  };
}

