/**
 * The plot: for a 2-D session the canvas with the log r heat map, the data, the particles and
 * their paths (../render.ts draws them), the "Show" boxes and the legend; for an image run a
 * grid of its samples (../image-grid.ts), a flow-step slider and a strip of the flow. Also the
 * line under it naming the session, and the replay of a flow step by step.
 */
import { ViewRenderer, fmt } from '../render.js';
import { drawFlowStrip, drawImageGrid, type GridLayout } from '../image-grid.js';
import type { ImageShape } from '../../../src/data/types.js';
import type { Frame, FromHost, SessionInfo } from '../protocol.js';
import type { PageState, Send } from './page-state.js';
import { byId } from './dom.js';

const REPLAY_FRAME_MS = 40;
/** An image grid changes more per frame: slower, so that the eye can follow. */
const IMAGE_REPLAY_FRAME_MS = 90;
/** Images per row of the flow strip. */
const STRIP_IMAGES = 8;

type Trajectory = Extract<FromHost, { type: 'trajectory' }>;

export interface Replay {
  frames: Float32Array[];
  steps: number[];
  kl?: number[];
  start: number;
  index: number;
  done: boolean;
}

/** What an image run's plot shows (tests read it through the page's hook). */
export interface ImageView {
  shape: ImageShape;
  count: number;
  /** The flow step shown, and its images (count × H·W·C, in [−1, 1]; null until the flow comes). */
  step: number;
  values: Float32Array | null;
  layout: GridLayout | null;
  /** Steps of the flow strip's rows. */
  stripSteps: number[];
}

export interface Plot {
  readonly canvas: HTMLCanvasElement;
  readonly renderer: ViewRenderer;
  /** The replay in progress or last played, if any. */
  readonly replay: Replay | null;
  /** An image run's view, else null. */
  readonly images: ImageView | null;
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
  /** Draws the canvas now. */
  draw(): void;
  /** Animation frame: advances a replay and redraws when something changed. */
  tick(now: number): void;
  /** A hash of the canvas pixels (tests: did the picture change?). */
  signature(): number;
}

export function createPlot(ui: PageState, send: Send): Plot {
  const canvas = byId<HTMLCanvasElement>('view');
  const heatRange = byId('heat-range');
  const sessionLabel = byId('session-label');
  const legend = byId('legend');
  const imageFlow = byId('image-flow');
  const slider = byId<HTMLInputElement>('flow-step');
  const sliderLabel = byId('flow-step-label');
  const strip = byId<HTMLCanvasElement>('flow-strip');
  const show = { heat: byId<HTMLInputElement>('show-heat'), trails: byId<HTMLInputElement>('show-trails'), data: byId<HTMLInputElement>('show-data') };
  // sharp canvases on high-density screens
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = canvas.height = Math.round(560 * dpr);
  strip.width = Math.round(560 * dpr);
  const renderer = new ViewRenderer(canvas);
  let replay: Replay | null = null;
  let dirty = true;
  /** An image run: what it shows. */
  let images: ImageView | null = null;

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
    const what = s.image ? `${s.viewSize} samples shown` : `${s.viewSize} particles shown`;
    sessionLabel.textContent = `${s.kind === 'run' ? 'Loaded ' : 'Training on '}${s.label}, pairing ${s.settings.loss.toUpperCase()}–${s.settings.divergence}, ${what}${notes}`;
  };

  /** Shows snapshot i of the replay (an image run: the grid at that step). */
  const showSnapshot = (r: Replay, i: number): void => {
    r.index = i;
    if (images) {
      images.values = r.frames[i];
      images.step = r.steps[i];
      slider.value = String(i);
      sliderLabel.textContent = `${r.steps[i]} of ${r.steps[r.steps.length - 1]}${i === 0 ? ' (the prior)' : i === r.frames.length - 1 ? ' (the samples)' : ''}`;
    } else {
      renderer.setParticles(r.frames[i], false);
    }
    dirty = true;
  };

  const stepReplay = (now: number): void => {
    const r = replay;
    if (!r || r.done) return;
    const i = Math.min(r.frames.length - 1, Math.floor((now - r.start) / (images ? IMAGE_REPLAY_FRAME_MS : REPLAY_FRAME_MS)));
    if (i !== r.index) {
      showSnapshot(r, i);
      sessionLabel.textContent = `${ui.session?.label ?? ''} — replaying the flow: step ${r.steps[i]} of ${r.steps[r.steps.length - 1]}`;
    }
    if (i >= r.frames.length - 1) {
      r.done = true;
      renderer.state.showTrails = show.trails.checked;
      label();
    }
    dirty = true;
  };

  // scrubbing an image run's flow: stops the animation, shows that step
  slider.addEventListener('input', () => {
    if (!replay || !images) return;
    if (!replay.done) {
      replay.done = true;
      label();
    }
    showSnapshot(replay, Math.min(replay.frames.length - 1, Math.max(0, Number(slider.value))));
  });

  const draw = (now = performance.now()): void => {
    if (!images) renderer.draw(now);
    else if (images.values) images.layout = drawImageGrid(canvas, images.values, images.count, images.shape);
  };

  return {
    canvas,
    renderer,
    get replay() {
      return replay;
    },
    get images() {
      return images;
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
      images = info.image ? { shape: info.image, count: info.viewSize, step: 0, values: null, layout: null, stripSteps: [] } : null;
      imageFlow.hidden = !images;
      legend.hidden = Boolean(images);
      for (const box of Object.values(show)) box.disabled = Boolean(images);
      if (images) {
        // a blank grid until the flow comes
        const ctx = canvas.getContext('2d')!;
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        slider.max = '0';
        sliderLabel.textContent = 'sampling…';
      }
      dirty = true;
    },
    frame(f) {
      if (f.heat) {
        renderer.setHeat(f.heat);
        heatRange.textContent = `±${fmt(renderer.heatRange, 2)}`;
      }
      if (f.particles && !(replay && !replay.done)) {
        if (images) images.values = f.particles;
        else {
          renderer.setParticles(f.particles);
          renderer.state.trails = f.trails ?? null;
        }
      }
      dirty = true;
    },
    startReplay(t) {
      replay = { frames: t.frames, steps: t.steps, kl: t.kl, start: performance.now(), index: -1, done: false };
      renderer.state.showTrails = false;
      if (images && t.frames.length) {
        slider.max = String(t.frames.length - 1);
        images.stripSteps = drawFlowStrip(strip, t.frames, t.steps, images.shape, Math.min(STRIP_IMAGES, images.count));
      }
    },
    cancelReplay() {
      if (replay && !replay.done) {
        replay.done = true;
        renderer.state.showTrails = show.trails.checked;
      }
    },
    label,
    draw,
    tick(now) {
      stepReplay(now);
      if (dirty || (!images && renderer.animating(now))) {
        draw(now);
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
