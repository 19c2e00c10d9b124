/**
 * The plot: the canvas with the log r heat map, the data, the particles and their paths
 * (../render.ts draws them), the "Show" boxes, the line under it naming the session, and the
 * replay of a flow step by step.
 */
import { ViewRenderer, fmt } from '../render.js';
import type { Frame, FromHost, SessionInfo } from '../protocol.js';
import type { PageState, Send } from './page-state.js';
import { byId } from './dom.js';

const REPLAY_FRAME_MS = 40;

type Trajectory = Extract<FromHost, { type: 'trajectory' }>;

export interface Replay {
  frames: Float32Array[];
  steps: number[];
  kl?: number[];
  start: number;
  index: number;
  done: boolean;
}

export interface Plot {
  readonly canvas: HTMLCanvasElement;
  readonly renderer: ViewRenderer;
  /** The replay in progress or last played, if any. */
  readonly replay: Replay | null;
  /** Grey points under the particles. */
  setData(points: Float32Array): void;
  /** A new session: its bounds, nothing drawn yet. */
  newSession(info: SessionInfo): void;
  frame(f: Frame): void;
  startReplay(t: Trajectory): void;
  /** Stops a replay in progress (the particles go back to following training). */
  cancelReplay(): void;
  /** Names the session under the canvas. */
  label(): void;
  /** Animation frame: advances a replay and redraws when something changed. */
  tick(now: number): void;
  /** A hash of the canvas pixels (tests: did the picture change?). */
  signature(): number;
}

export function createPlot(ui: PageState, send: Send): Plot {
  const canvas = byId<HTMLCanvasElement>('view');
  const heatRange = byId('heat-range');
  const sessionLabel = byId('session-label');
  const show = { heat: byId<HTMLInputElement>('show-heat'), trails: byId<HTMLInputElement>('show-trails'), data: byId<HTMLInputElement>('show-data') };
  // sharp canvases on high-density screens
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = canvas.height = Math.round(560 * dpr);
  const renderer = new ViewRenderer(canvas);
  let replay: Replay | null = null;
  let dirty = true;

  for (const box of [show.heat, show.trails, show.data]) {
    box.addEventListener('change', () => {
      renderer.state.showHeat = show.heat.checked;
      renderer.state.showTrails = show.trails.checked;
      renderer.state.showData = show.data.checked;
      send({ type: 'options', trails: show.trails.checked });
      dirty = true;
    });
  }

  const label = (): void => {
    const s = ui.session;
    if (!s) {
      sessionLabel.textContent = '';
      return;
    }
    const notes = s.notes.length ? ` — ${s.notes.join('; ')}` : '';
    sessionLabel.textContent = `${s.kind === 'run' ? 'Loaded ' : 'Training on '}${s.label}, pairing ${s.settings.loss.toUpperCase()}–${s.settings.divergence}, ${s.viewSize} particles shown${notes}`;
  };

  const stepReplay = (now: number): void => {
    const r = replay;
    if (!r || r.done) return;
    const i = Math.min(r.frames.length - 1, Math.floor((now - r.start) / REPLAY_FRAME_MS));
    if (i !== r.index) {
      r.index = i;
      renderer.setParticles(r.frames[i], false);
      sessionLabel.textContent = `${ui.session?.label ?? ''} — replaying the flow: step ${r.steps[i]} of ${r.steps[r.steps.length - 1]}`;
    }
    if (i >= r.frames.length - 1) {
      r.done = true;
      renderer.state.showTrails = show.trails.checked;
      label();
    }
    dirty = true;
  };

  return {
    canvas,
    renderer,
    get replay() {
      return replay;
    },
    setData(points) {
      renderer.state.data = points;
      dirty = true;
    },
    newSession(info) {
      replay = null;
      renderer.state.bounds = info.bounds;
      renderer.clearHeat();
      renderer.setParticles(null);
      renderer.state.trails = null;
      dirty = true;
    },
    frame(f) {
      if (f.heat) {
        renderer.setHeat(f.heat);
        heatRange.textContent = `±${fmt(renderer.heatRange, 2)}`;
      }
      if (f.particles && !(replay && !replay.done)) {
        renderer.setParticles(f.particles);
        renderer.state.trails = f.trails ?? null;
      }
      dirty = true;
    },
    startReplay(t) {
      replay = { frames: t.frames, steps: t.steps, kl: t.kl, start: performance.now(), index: -1, done: false };
      renderer.state.showTrails = false;
    },
    cancelReplay() {
      if (replay && !replay.done) {
        replay.done = true;
        renderer.state.showTrails = show.trails.checked;
      }
    },
    label,
    tick(now) {
      stepReplay(now);
      if (dirty || renderer.animating(now)) {
        renderer.draw(now);
        dirty = false;
      }
    },
    signature() {
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 2166136261;
      for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
      return h >>> 0;
    },
  };
}
