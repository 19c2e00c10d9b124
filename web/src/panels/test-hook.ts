/**
 * window.dggfPlayground, for tests and the curious: state() (what the page knows, as plain
 * data) and viewSignature() (a hash of the plot's pixels).
 */
import type { PageState } from './page-state.js';
import type { Messages } from './messages.js';
import type { Plot } from './plot.js';

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
      }),
      viewSignature: () => plot.signature(),
    },
  });
}
