/**
 * What the page knows about the host and its session, shared by the panels: the host sends
 * messages (main.ts routes them), the panels read and update this object.
 */
import type { BrowserEngineInfo } from '../../../src/engine/browser.js';
import type { SessionInfo, ToHost } from '../protocol.js';

export type Send = (msg: ToHost, transfer?: Transferable[]) => void;

export interface PageState {
  /** The host started its engine. */
  ready: boolean;
  engine: BrowserEngineInfo | null;
  thread: '' | 'worker' | 'main';
  session: SessionInfo | null;
  /** Settings that need a restart changed since the session was built. */
  stale: boolean;
  running: boolean;
  /** A session is being built or loaded. */
  busy: boolean;
  iteration: number;
  curves: { iteration: number[]; loss: number[]; estimate: number[] };
  mmd: { iteration: number; value: number }[];
  itPerSec: number;
  stepMs: number;
  tensors: number;
  frames: number;
}

export function newPageState(): PageState {
  return {
    ready: false,
    engine: null,
    thread: '',
    session: null,
    stale: false,
    running: false,
    busy: false,
    iteration: 0,
    curves: { iteration: [], loss: [], estimate: [] },
    mmd: [],
    itPerSec: 0,
    stepMs: 0,
    tensors: 0,
    frames: 0,
  };
}
