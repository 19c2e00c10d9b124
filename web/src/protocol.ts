/**
 * Messages between the page (main.ts) and the training host (host.ts), which runs in a
 * module worker — or, where workers cannot start the engine, on the page's own thread with the
 * same messages.
 */
import type { BrowserEngineInfo } from '../../src/engine/browser.js';
import type { DivergenceName } from '../../src/divergences/index.js';
import type { LossName } from '../../src/losses/index.js';
import type { ImageShape } from '../../src/data/types.js';

/** What the user chose; validated by settings.ts before it is sent. */
export interface Settings {
  /** A toy name, or 'custom' (then `points` holds the drawn/pasted points); a loaded image run's: 'run:<its data>'. */
  target: string;
  points?: Float32Array;
  divergence: DivergenceName;
  loss: LossName;
  eta: number;
  noise: number;
  flowSteps: number;
  batch: number;
  lr: number;
  seed: number;
  iterations: number;
}

/** A divergence/loss pairing the library accepts. */
export interface Pairing {
  value: string;
  label: string;
  divergence: DivergenceName;
  loss: LossName;
}

/** The settings that can change between two iterations without restarting. */
export type LiveSettings = Pick<Settings, 'eta' | 'noise' | 'flowSteps' | 'batch' | 'lr' | 'iterations'>;

export interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export type ToHost =
  | { type: 'init'; backend: string; wasmPaths: Record<string, string> }
  | { type: 'configure'; settings: Settings; run: boolean }
  | { type: 'tune'; live: LiveSettings }
  | { type: 'options'; trails: boolean }
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'export'; id: number; n: number }
  | { type: 'replay' }
  | {
      type: 'load';
      /** config.json of a run folder. */
      config: string;
      /** Its checkpoint file(s); the newest intact one is used. */
      checkpoints: { name: string; bytes: ArrayBuffer }[];
      /** Its metrics.jsonl (training curves), if given. */
      metrics?: string;
      /** The run's data as CSV, when it was trained on a CSV file (needed to continue training). */
      data?: { name: string; text: string };
      /** Its prior.bin, when config.json keeps the prior's arrays there (image runs). */
      prior?: ArrayBuffer;
    };

export interface SessionInfo {
  /** 'train': a new run from the settings; 'run': a loaded run folder. */
  kind: 'train' | 'run';
  label: string;
  settings: Settings;
  bounds: Bounds;
  /** A fixed draw of the data (data space) to show under the particles; empty if unknown. */
  data: Float32Array;
  /** The estimate the curves show: KL for log-ratio nets, χ² for ratio nets. */
  estimate: 'kl' | 'chi2';
  /** MMD of two fresh data draws of the same size as the particle batch (the floor). */
  mmdFloor: number | null;
  /** Particles shown (and used for MMD); an image run: images shown. */
  viewSize: number;
  /** An image run: the shape of one image. Its particles (frames, replays) are then viewSize images, HWC row-major in [−1, 1]. */
  image?: ImageShape;
  iteration: number;
  canTrain: boolean;
  /** Training curves read from a run folder's metrics.jsonl. */
  history?: { iteration: number[]; loss: number[]; estimate: number[] };
  notes: string[];
}

export interface Frame {
  iteration: number;
  /** Per iteration since the last frame. */
  iterations: number[];
  loss: number[];
  estimate: number[];
  /** Particles in data space (viewSize × 2; an image run: viewSize images), when refreshed. */
  particles?: Float32Array;
  /** Paths of the first particles through the flow: snapshots × trailCount × 2. */
  trails?: { snapshots: number; count: number; points: Float32Array };
  /** log r on the heat grid (HEAT_GRID²; row 0 at the top), when refreshed. */
  heat?: Float32Array;
  mmd?: { iteration: number; value: number }[];
  itPerSec: number;
  stepMs: number;
  tensors: number;
  running: boolean;
}

export type FromHost =
  | { type: 'ready'; engine: BrowserEngineInfo; thread: 'worker' | 'main'; pairings: Pairing[] }
  | { type: 'fatal'; message: string }
  | { type: 'configured'; info: SessionInfo }
  | { type: 'frame'; frame: Frame }
  | { type: 'state'; running: boolean; reason?: string }
  | { type: 'error'; scope: 'settings' | 'train' | 'load' | 'export'; message: string }
  | { type: 'samples'; id: number; points: Float32Array }
  | { type: 'trajectory'; steps: number[]; frames: Float32Array[]; kl?: number[] };

export const HEAT_GRID = 48;
