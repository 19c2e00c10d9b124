/**
 * The settings and the buttons: the loss–divergence pairing, the numeric fields (η, ν, K,
 * batch, lr, iterations steer a running session; target, pairing and seed start a new one),
 * and Train / Pause / Resume, Step, Reset and Replay flow. Reads and checks the settings
 * (./fields.ts; the host checks them again against the library's schema) and sends them.
 */
import { LIVE_FIELDS, NUMERIC_FIELDS, parseField, workProblem, type NumericField } from '../fields.js';
import type { LiveSettings, Pairing, Settings } from '../protocol.js';
import type { PageState, Send } from './page-state.js';
import type { Messages } from './messages.js';
import type { Plot } from './plot.js';
import type { Target } from './target.js';
import { byId, markInvalid } from './dom.js';

export interface Controls {
  /** The pairings the library accepts (sent by the host when it is ready). */
  fillPairings(list: Pairing[]): void;
  /** Enables the buttons that can be used now, and names the train button. */
  updateButtons(): void;
  /** Target, pairing or seed changed: say that Train or Reset starts over. */
  restartSettingChanged(): void;
  /** Shows a loaded run's settings in the fields. */
  showRun(s: Settings): void;
  /** A frame came: the Step that waited for a new session goes now. */
  frameArrived(): void;
  /** The host refused: forget a waiting Step. */
  failed(): void;
}

/** `alsoUpdate`: other panels' buttons to refresh with these (export). */
export function createControls(ui: PageState, send: Send, target: Target, plot: Plot, messages: Messages, alsoUpdate: () => void): Controls {
  const pairing = byId<HTMLSelectElement>('pairing');
  const inputs = Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, byId<HTMLInputElement>(f)])) as Record<NumericField, HTMLInputElement>;
  const buttons = { train: byId<HTMLButtonElement>('train'), step: byId<HTMLButtonElement>('step'), reset: byId<HTMLButtonElement>('reset'), replay: byId<HTMLButtonElement>('replay') };
  /** Valid loss–divergence pairings, from the library. */
  let pairings: Pairing[] = [];
  /** The custom points text the session was built from. */
  let configuredPoints = '';
  /** Step pressed before a session existed: step once the new session's first frame comes. */
  let pendingStep = false;

  const readLive = (): { live?: LiveSettings; errors: string[] } => {
    const errors: string[] = [];
    const values: Partial<Record<NumericField, number>> = {};
    for (const f of NUMERIC_FIELDS) {
      const r = parseField(f, inputs[f].value);
      markInvalid(inputs[f], typeof r === 'string');
      if (typeof r === 'string') errors.push(r);
      else values[f] = r;
    }
    if (errors.length) return { errors };
    const work = workProblem(values.flowSteps!, values.batch!);
    if (work) {
      markInvalid(inputs.flowSteps, true);
      markInvalid(inputs.batch, true);
      return { errors: [work] };
    }
    const live = Object.fromEntries(LIVE_FIELDS.map((f) => [f, values[f]!])) as unknown as LiveSettings;
    return { live, errors };
  };

  const readSettings = (): { settings?: Settings; errors: string[] } => {
    const { live, errors } = readLive();
    const seed = parseField('seed', inputs.seed.value);
    let points: Float32Array | undefined;
    if (target.value === 'custom') {
      const r = target.parse();
      if (r.error) errors.push(r.error);
      points = r.points;
    }
    const chosen = pairings.find((p) => p.value === pairing.value);
    if (!chosen) errors.push('pairing: choose a loss–divergence pairing');
    if (errors.length || !live || typeof seed === 'string' || !chosen) return { errors: typeof seed === 'string' && !errors.includes(seed) ? [...errors, seed] : errors };
    // the host checks the rest against the library's schema and answers with an error if needed
    return { settings: { target: target.value, points, divergence: chosen.divergence, loss: chosen.loss, seed, ...live }, errors };
  };

  const updateButtons = (): void => {
    const ready = ui.ready && !ui.busy;
    // a loaded image run samples but does not train (until another target is chosen)
    const imageRun = Boolean(ui.session?.image) && !ui.stale;
    buttons.train.disabled = !ready || imageRun;
    buttons.train.textContent = ui.running ? 'Pause' : !ui.session || ui.stale || imageRun ? 'Train' : ui.iteration > 0 ? 'Resume' : 'Train';
    buttons.train.title = imageRun ? 'an image run is sampled here, not trained: choose a 2-D target to train a new run' : '';
    buttons.step.disabled = !ready || ui.running || imageRun;
    buttons.reset.disabled = !ready;
    buttons.replay.disabled = !ready || !ui.session || ui.stale;
    alsoUpdate();
  };

  /** Sends the settings for a new session (and runs it with `run`); false when they are invalid. */
  const configure = (run: boolean): boolean => {
    const { settings, errors } = readSettings();
    if (!settings) {
      messages.error(errors.join('\n'));
      return false;
    }
    messages.error(null);
    ui.busy = true;
    plot.cancelReplay();
    configuredPoints = target.pointsText;
    const transfer = settings.points ? [settings.points.slice().buffer] : [];
    if (settings.points) settings.points = new Float32Array(transfer[0] as ArrayBuffer);
    send({ type: 'configure', settings, run }, transfer);
    updateButtons();
    return true;
  };

  const restartNeeded = (): boolean => !ui.session || ui.stale;

  const restartSettingChanged = (): void => {
    if (!ui.session) return;
    const s = ui.session.settings;
    const chosen = pairings.find((p) => p.value === pairing.value);
    const seed = parseField('seed', inputs.seed.value);
    ui.stale =
      target.value !== s.target ||
      (target.value === 'custom' && ui.session.kind === 'train' && target.pointsText !== configuredPoints) ||
      chosen?.loss !== s.loss ||
      chosen?.divergence !== s.divergence ||
      seed !== s.seed;
    messages.notice(ui.stale ? 'Target, pairing or seed changed: Train or Reset starts over with them.' : null);
    updateButtons();
  };

  const liveSettingChanged = (): void => {
    const { live, errors } = readLive();
    if (!live) {
      messages.error(errors.join('\n'));
      return;
    }
    messages.error(null);
    if (ui.session) send({ type: 'tune', live });
  };

  buttons.train.addEventListener('click', () => {
    if (ui.running) {
      send({ type: 'pause' });
      return;
    }
    if (restartNeeded()) {
      configure(true);
      return;
    }
    const { live, errors } = readLive();
    if (!live) {
      messages.error(errors.join('\n'));
      return;
    }
    messages.error(null);
    plot.cancelReplay();
    send({ type: 'tune', live });
    send({ type: 'run' });
  });

  buttons.step.addEventListener('click', () => {
    if (ui.running) return;
    plot.cancelReplay();
    if (restartNeeded()) {
      if (configure(false)) pendingStep = true;
      return;
    }
    const { live, errors } = readLive();
    if (!live) {
      messages.error(errors.join('\n'));
      return;
    }
    send({ type: 'tune', live });
    send({ type: 'step' });
  });

  buttons.reset.addEventListener('click', () => configure(false));

  buttons.replay.addEventListener('click', () => {
    if (!ui.session) return;
    if (ui.running) send({ type: 'pause' });
    send({ type: 'replay' });
  });

  for (const f of LIVE_FIELDS) inputs[f].addEventListener('input', liveSettingChanged);
  inputs.seed.addEventListener('input', () => {
    const r = parseField('seed', inputs.seed.value);
    markInvalid(inputs.seed, typeof r === 'string');
    messages.error(typeof r === 'string' ? r : null);
    restartSettingChanged();
  });
  pairing.addEventListener('change', restartSettingChanged);

  return {
    fillPairings(list) {
      pairings = list;
      pairing.replaceChildren(...list.map((p) => new Option(p.label, p.value)));
      pairing.value = list.some((p) => p.value === 'lr-kl') ? 'lr-kl' : (list[0]?.value ?? '');
    },
    updateButtons,
    restartSettingChanged,
    showRun(s) {
      pairing.value = `${s.loss}-${s.divergence}`;
      for (const f of NUMERIC_FIELDS) {
        inputs[f].value = String(s[f]);
        markInvalid(inputs[f], false);
      }
    },
    frameArrived() {
      if (pendingStep) {
        pendingStep = false;
        send({ type: 'step' });
      }
    },
    failed() {
      pendingStep = false;
    },
  };
}
