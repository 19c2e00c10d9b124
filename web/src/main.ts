/**
 * The playground page. Training runs in the host (host.ts) — a module worker, or this thread
 * if a worker cannot start the engine — so the page never waits on it. The panels
 * (panels/) each own a part of the page; this file builds them, starts the host and routes
 * its messages to them.
 */
import type { FromHost, SessionInfo } from './protocol.js';
import { newPageState, type Send } from './panels/page-state.js';
import { createMessages } from './panels/messages.js';
import { createEngineBadge } from './panels/engine-badge.js';
import { startHost, type HostLink } from './panels/host-link.js';
import { createPlot } from './panels/plot.js';
import { createCurves } from './panels/curves.js';
import { createTarget } from './panels/target.js';
import { createControls, type Controls } from './panels/controls.js';
import { createExporter } from './panels/export.js';
import { createRunLoading } from './panels/run-loading.js';
import { installTestHook } from './panels/test-hook.js';

const ui = newPageState();
let link: HostLink | null = null;
const send: Send = (msg, transfer) => link?.send(msg, transfer);

const messages = createMessages();
const badge = createEngineBadge();
const plot = createPlot(ui, send);
const curves = createCurves(ui, () => plot.replay?.kl);
// the target's changes are judged by the controls (restart or not), which are built after it
let controls: Controls | null = null;
const target = createTarget(ui, plot, messages, () => controls?.restartSettingChanged());
const exporter = createExporter(ui, send, plot, messages);
controls = createControls(ui, send, target, plot, messages, () => exporter.update());
const runs = createRunLoading(messages, (m) => {
  messages.error(null);
  plot.cancelReplay();
  ui.busy = true;
  controls!.updateButtons();
  send({ type: 'load', ...m }, [...m.checkpoints.map((c) => c.bytes), ...(m.prior ? [m.prior] : [])]);
});
installTestHook(ui, plot, messages);

function onConfigured(info: SessionInfo): void {
  ui.session = info;
  ui.busy = false;
  ui.running = false; // a new session starts paused; a 'state' message follows if it runs
  ui.stale = false;
  ui.iteration = info.iteration;
  ui.curves = { iteration: [], loss: [], estimate: [] };
  ui.mmd = [];
  plot.newSession(info);
  curves.newSession(info);
  if (info.kind === 'run') {
    // show the loaded run's settings; η, ν, K, batch, lr still steer it
    target.show(info.settings.target);
    controls!.showRun(info.settings);
    send({ type: 'replay' });
  }
  target.refreshData();
  plot.label();
  messages.notice(null);
  controls!.updateButtons();
}

function onHost(msg: FromHost): void {
  switch (msg.type) {
    case 'ready':
      ui.ready = true;
      controls!.fillPairings(msg.pairings);
      ui.engine = msg.engine;
      ui.thread = msg.thread;
      badge.ready(msg.engine, msg.thread);
      controls!.updateButtons();
      void runs.loadServed();
      return;
    case 'fatal':
      badge.failed();
      messages.error(`The tensor engine could not start: ${msg.message}`);
      return;
    case 'configured':
      onConfigured(msg.info);
      return;
    case 'frame': {
      const f = msg.frame;
      ui.frames++;
      ui.iteration = f.iteration;
      for (let i = 0; i < f.iterations.length; i++) {
        ui.curves.iteration.push(f.iterations[i]);
        ui.curves.loss.push(f.loss[i]);
        ui.curves.estimate.push(f.estimate[i]);
      }
      if (f.mmd?.length) ui.mmd.push(...f.mmd);
      ui.itPerSec = f.itPerSec;
      ui.stepMs = f.stepMs;
      ui.tensors = f.tensors;
      plot.frame(f);
      curves.frame(f);
      controls!.frameArrived();
      return;
    }
    case 'state':
      ui.running = msg.running;
      ui.busy = false;
      if (msg.reason === 'done') messages.notice(`Reached ${ui.iteration} iterations: raise “iterations” and press Resume to go on.`);
      controls!.updateButtons();
      return;
    case 'error':
      ui.busy = false;
      controls!.failed();
      messages.error(msg.message);
      controls!.updateButtons();
      return;
    case 'samples':
      exporter.samples(msg.points);
      return;
    case 'trajectory':
      plot.startReplay(msg);
      curves.invalidate();
      return;
  }
}

function frameLoop(now: number): void {
  plot.tick(now);
  curves.tick();
  requestAnimationFrame(frameLoop);
}

plot.renderer.draw();
requestAnimationFrame(frameLoop);
link = startHost(badge.wanted, onHost);
