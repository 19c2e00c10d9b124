/**
 * window.dggfPlayground, for tests and the curious: state() (what the page knows, as plain
 * data; an image run's grid and pixel spread too) and viewSignature() (a hash of the plot's pixels).
 */
import type { PageState } from './page-state.js';
import type { Messages } from './messages.js';
import type { ImageView, Plot } from './plot.js';

/** An image run's view as plain numbers: its grid, the step shown and the spread of its pixels. */
function imageState(v: ImageView | null) {
  if (!v) return null;
  let min = Infinity;
  let max = -Infinity;
  /** The smallest standard deviation of one image's values (0: some image is flat). */
  let minImageStd = Infinity;
  if (v.values) {
    const per = v.shape.height * v.shape.width * v.shape.channels;
    for (let i = 0; i < v.count; i++) {
      let sum = 0;
      let sq = 0;
      for (let j = i * per; j < (i + 1) * per; j++) {
        const x = v.values[j];
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
        sq += x * x;
      }
      minImageStd = Math.min(minImageStd, Math.sqrt(Math.max(0, sq / per - (sum / per) ** 2)));
    }
  }
  return { shape: v.shape, count: v.count, step: v.step, layout: v.layout, stripSteps: v.stripSteps, values: v.values ? { min, max, minImageStd } : null };
}

export function installTestHook(ui: PageState, plot: Plot, messages: Messages): void {
  Object.assign(window, {
    dggfPlayground: {
      state: () => ({
        ready: ui.ready,
        backend: ui.engine?.backend ?? null,
        engine: ui.engine,
        thread: ui.thread,
        running: ui.running,
        iteration: ui.iteration,
        session: ui.session ? { kind: ui.session.kind, label: ui.session.label, target: ui.session.settings.target, canTrain: ui.session.canTrain, mmdFloor: ui.session.mmdFloor } : null,
        mmd: ui.mmd.slice(),
        loss: ui.curves.loss.slice(-1)[0] ?? null,
        curves: { iteration: ui.curves.iteration.slice(), loss: ui.curves.loss.slice(), estimate: ui.curves.estimate.slice() },
        itPerSec: ui.itPerSec,
        stepMs: ui.stepMs,
        tensors: ui.tensors,
        frames: ui.frames,
        message: messages.shown(),
        replay: plot.replay ? { frames: plot.replay.frames.length, done: plot.replay.done, kl: plot.replay.kl?.length ?? 0 } : null,
        images: imageState(plot.images),
      }),
      viewSignature: () => plot.signature(),
    },
  });
}
