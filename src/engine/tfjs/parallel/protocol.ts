/**
 * Messages between the main thread and a flow worker (flows, and the row blocks of a training
 * step's gradient). Jobs go by postMessage; replies come on
 * a MessagePort that the main thread reads synchronously (receiveMessageOnPort) after blocking
 * on a shared signal word (Atomics.wait), so runFlow and Trainer.step stay synchronous.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PortableTerm } from '../drift.js';
import type { FlowRows } from '../../row-split.js';
import type { NetSpec } from '../../../nets/ratio-net.js';
import type { LossName } from '../../../losses/index.js';

/** signal[SIGNAL_COUNT]: replies posted so far; signal[SIGNAL_STATUS]: a WorkerStatus. */
export const SIGNAL_COUNT = 0;
export const SIGNAL_STATUS = 1;
export const STATUS_STARTING = 0;
export const STATUS_READY = 1;
export const STATUS_DEAD = 2;

export interface WorkerInit {
  port: MessagePort;
  signal: Int32Array;
  /** URL of the worker module (./worker.ts or ./worker.js). */
  entry: string;
  /** URL of tsx's ESM API when the worker is TypeScript. */
  tsx?: string;
}

export interface FlowJob extends FlowRows {
  kind: 'flow';
  id: number;
  terms: PortableTerm[];
}

export interface FlowReply {
  /** The job's id; 0 when the worker itself failed to load. */
  id: number;
  x?: Float32Array;
  /** Snapshots of this worker's rows at the trajectory steps, in order. */
  trajectory?: Float32Array[];
  error?: string;
}

/** Row blocks of a training step: loss and parameter gradients of the net at `weights`. */
export interface GradientJob {
  kind: 'gradient';
  id: number;
  spec: NetSpec;
  loss: LossName;
  weights: { values: Float32Array; shape: number[] }[];
  /** Each block: its particle and data rows (rows × dim, row-major) and its weight rows/n. */
  blocks: { particles: Float32Array; data: Float32Array; rows: number; w: number }[];
  dim: number;
}

export interface GradientReply {
  id: number;
  /** Per block, in order: the weighted loss, the weighted mean particle output, the gradients. */
  blocks?: { value: number; meanOut: number; grads: Float32Array[] }[];
  error?: string;
}

export type WorkerJob = FlowJob | GradientJob;
export type WorkerReply = FlowReply | GradientReply;
