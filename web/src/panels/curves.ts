/**
 * The numbers under the plot (iteration, it/s, loss, KL/χ² estimate, MMD, ms/step) and the
 * curves beside it: loss, estimate and MMD per iteration (a loaded run's logged history in
 * grey; no MMD for an image run, which the page does not train), and the KL estimate along a
 * replayed flow.
 */
import { LOSS_AT_EQUALITY } from '../../../src/losses/equality.js';
import { drawPanels, fmt, type Panel } from '../render.js';
import type { Frame, SessionInfo } from '../protocol.js';
import type { PageState } from './page-state.js';
import { byId } from './dom.js';

export interface Curves {
  /** A new session: empty curves and numbers. */
  newSession(info: SessionInfo): void;
  /** A training frame: its iterations' numbers (ui.curves and ui.mmd are appended by the caller). */
  frame(f: Frame): void;
  /** Redraw at the next animation frame. */
  invalidate(): void;
  tick(): void;
}

/** `replayKl`: the KL estimate along the flow being replayed, if any. */
export function createCurves(ui: PageState, replayKl: () => number[] | undefined): Curves {
  const canvas = byId<HTMLCanvasElement>('curves');
  const el = {
    iteration: byId('iteration'),
    itps: byId('itps'),
    loss: byId('loss'),
    estimate: byId('estimate'),
    estimateLabel: byId('estimate-label'),
    mmd: byId('mmd'),
    stepms: byId('stepms'),
  };
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = Math.round(420 * dpr);
  canvas.height = Math.round(560 * dpr);
  let dirty = true;

  const draw = (): void => {
    const s = ui.session;
    const est = s?.estimate === 'chi2' ? 'χ² estimate (mean r − 1)' : 'KL estimate (mean log r)';
    const hist = s?.history;
    const panels: Panel[] = [
      {
        title: 'loss',
        series: [...(hist ? [{ x: hist.iteration, y: hist.loss, color: '#aaa' }] : []), { x: ui.curves.iteration, y: ui.curves.loss, color: '#1537a8' }],
        reference: s ? { y: LOSS_AT_EQUALITY[s.settings.loss], label: 'q = p' } : undefined,
        xLabel: 'it',
      },
      {
        title: est,
        series: [...(hist ? [{ x: hist.iteration, y: hist.estimate, color: '#aaa' }] : []), { x: ui.curves.iteration, y: ui.curves.estimate, color: '#b45309' }],
        xLabel: 'it',
      },
    ];
    if (!s?.image) {
      panels.push({
        title: `MMD, ${s?.viewSize ?? 512} particles vs fresh data`,
        series: [{ x: ui.mmd.map((m) => m.iteration), y: ui.mmd.map((m) => m.value), color: '#0f766e', markers: true }],
        reference: s?.mmdFloor != null ? { y: s.mmdFloor, label: 'data vs data' } : undefined,
        log: true,
        xLabel: 'it',
      });
    }
    const kl = replayKl();
    if (kl) panels.push({ title: 'KL estimate along the replayed flow', series: [{ x: kl.map((_, k) => k), y: kl, color: '#7c3aed' }], xLabel: 'step' });
    drawPanels(canvas, panels);
  };

  return {
    newSession(info) {
      el.estimateLabel.textContent = info.estimate === 'chi2' ? 'χ² est.' : 'KL est.';
      el.loss.textContent = el.estimate.textContent = el.mmd.textContent = '—';
      // an image run sends no training frames: nothing of the previous session may stay
      el.iteration.textContent = String(info.iteration);
      el.itps.textContent = el.stepms.textContent = '—';
      dirty = true;
    },
    frame(f) {
      el.iteration.textContent = String(f.iteration);
      el.itps.textContent = f.itPerSec > 0 ? fmt(f.itPerSec, 3) : '—';
      el.stepms.textContent = f.stepMs > 0 ? fmt(f.stepMs, 3) : '—';
      const n = ui.curves.loss.length;
      if (n) {
        el.loss.textContent = fmt(ui.curves.loss[n - 1]);
        el.estimate.textContent = fmt(ui.curves.estimate[n - 1]);
      }
      const last = ui.mmd[ui.mmd.length - 1];
      el.mmd.textContent = last ? fmt(last.value, 3) : '—';
      el.mmd.title = last ? `at iteration ${last.iteration}; data vs data ≈ ${fmt(ui.session?.mmdFloor, 3)}` : '';
      dirty = true;
    },
    invalidate() {
      dirty = true;
    },
    tick() {
      if (!dirty) return;
      draw();
      dirty = false;
    },
  };
}
