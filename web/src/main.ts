/**
 * The playground page: controls, the view, the curves. Training runs in the host (host.ts) —
 * a module worker, or this thread if a worker cannot start the engine — so the page never
 * waits on it; this file only reads settings, sends messages and draws what comes back.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { WEBGPU_BUNDLED } from 'virtual:dggf-webgpu';
import { TOY_DATASETS, TOY_DATASET_NAMES } from '../../src/data/toy2d.js';
import { LOSS_AT_EQUALITY } from '../../src/losses/equality.js';
import { parseCsvPoints, formatFloat32 } from '../../src/data/csv.js';
import type { BrowserEngineInfo } from '../../src/engine/browser.js';
import { LIVE_FIELDS, NUMERIC_FIELDS, parseField, workProblem, type NumericField } from './fields.js';
import { ViewRenderer, drawPanels, fmt, type Panel } from './render.js';
import type { Frame, FromHost, LiveSettings, Pairing, SessionInfo, Settings, ToHost } from './protocol.js';

// ---- elements --------------------------------------------------------------------------

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};
const el = {
  backend: $('backend'),
  backendChoice: $<HTMLSelectElement>('backend-choice'),
  target: $<HTMLSelectElement>('target'),
  customPanel: $('custom-panel'),
  points: $<HTMLTextAreaElement>('points'),
  draw: $<HTMLInputElement>('draw'),
  clearPoints: $<HTMLButtonElement>('clear-points'),
  pointsCount: $('points-count'),
  pairing: $<HTMLSelectElement>('pairing'),
  train: $<HTMLButtonElement>('train'),
  step: $<HTMLButtonElement>('step'),
  reset: $<HTMLButtonElement>('reset'),
  replay: $<HTMLButtonElement>('replay'),
  message: $('message'),
  notice: $('notice'),
  showHeat: $<HTMLInputElement>('show-heat'),
  showTrails: $<HTMLInputElement>('show-trails'),
  showData: $<HTMLInputElement>('show-data'),
  exportN: $<HTMLInputElement>('export-n'),
  exportCsv: $<HTMLButtonElement>('export-csv'),
  exportPng: $<HTMLButtonElement>('export-png'),
  loadDir: $<HTMLInputElement>('load-dir'),
  loadFiles: $<HTMLInputElement>('load-files'),
  view: $<HTMLCanvasElement>('view'),
  curves: $<HTMLCanvasElement>('curves'),
  heatRange: $('heat-range'),
  iteration: $('iteration'),
  itps: $('itps'),
  loss: $('loss'),
  estimate: $('estimate'),
  estimateLabel: $('estimate-label'),
  mmd: $('mmd'),
  stepms: $('stepms'),
  sessionLabel: $('session-label'),
};
const numericInputs = Object.fromEntries(NUMERIC_FIELDS.map((f) => [f, $<HTMLInputElement>(f)])) as Record<NumericField, HTMLInputElement>;

for (const name of TOY_DATASET_NAMES) el.target.add(new Option(name, name));
el.target.add(new Option('custom (draw / paste)', 'custom'));
for (const [name, spec] of Object.entries(TOY_DATASETS)) el.target.querySelector<HTMLOptionElement>(`option[value="${name}"]`)!.title = spec.description;
/** Valid loss–divergence pairings, from the library (sent by the host when it is ready). */
let PAIRINGS: Pairing[] = [];
function fillPairings(list: Pairing[]): void {
  PAIRINGS = list;
  el.pairing.replaceChildren(...list.map((p) => new Option(p.label, p.value)));
  el.pairing.value = list.some((p) => p.value === 'lr-kl') ? 'lr-kl' : (list[0]?.value ?? '');
}

// sharp canvases on high-density screens
const dpr = Math.min(2, window.devicePixelRatio || 1);
el.view.width = el.view.height = Math.round(560 * dpr);
el.curves.width = Math.round(420 * dpr);
el.curves.height = Math.round(560 * dpr);

// ---- state -----------------------------------------------------------------------------

const ui = {
  ready: false,
  engine: null as BrowserEngineInfo | null,
  thread: '' as '' | 'worker' | 'main',
  session: null as SessionInfo | null,
  /** Settings that need a restart changed since the session was built. */
  stale: false,
  running: false,
  busy: false,
  iteration: 0,
  curves: { iteration: [] as number[], loss: [] as number[], estimate: [] as number[] },
  mmd: [] as { iteration: number; value: number }[],
  itPerSec: 0,
  stepMs: 0,
  tensors: 0,
  frames: 0,
  errors: [] as string[],
  customPoints: null as Float32Array | null,
  replay: null as null | { frames: Float32Array[]; steps: number[]; kl?: number[]; start: number; index: number; done: boolean },
  exports: 0,
  dirty: true,
};
const renderer = new ViewRenderer(el.view);

// ---- the host --------------------------------------------------------------------------

let send: (msg: ToHost, transfer?: Transferable[]) => void = () => {};
const params = new URLSearchParams(location.search);
const backendWanted = params.get('backend') ?? 'auto';
el.backendChoice.value = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'].includes(backendWanted) ? backendWanted : 'auto';
if (!WEBGPU_BUNDLED) el.backendChoice.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.disabled = true;

const wasmPaths = {
  'tfjs-backend-wasm.wasm': new URL(wasmPlain, location.href).href,
  'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, location.href).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, location.href).href,
};

async function startOnMainThread(reason: string): Promise<void> {
  const { createHost } = await import('./host.js');
  const host = createHost((msg) => setTimeout(() => onHost(msg), 0), 'main');
  send = (msg) => host(msg);
  ui.errors.push(`training on the page's thread: ${reason}`);
  send({ type: 'init', backend: backendWanted, wasmPaths });
}

function startHost(): void {
  if (params.get('thread') === 'main') {
    void startOnMainThread('asked for with ?thread=main');
    return;
  }
  let worker: Worker;
  try {
    worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  } catch (e) {
    void startOnMainThread(`no module worker (${(e as Error).message})`);
    return;
  }
  let settled = false;
  const fallBack = (why: string): void => {
    if (settled) return;
    settled = true;
    worker.terminate();
    void startOnMainThread(why);
  };
  worker.onerror = (e) => fallBack(`the worker failed (${e.message || 'error'})`);
  worker.onmessage = (e: MessageEvent<FromHost>) => {
    const msg = e.data;
    if (!settled && msg.type === 'fatal') return fallBack(msg.message);
    if (msg.type === 'ready') settled = true;
    onHost(msg);
  };
  send = (msg, transfer) => worker.postMessage(msg, transfer ?? []);
  send({ type: 'init', backend: backendWanted, wasmPaths });
}

// ---- messages --------------------------------------------------------------------------

function showMessage(text: string | null): void {
  el.message.hidden = !text;
  el.message.textContent = text ?? '';
  if (text) ui.errors.push(text);
}

function showNotice(text: string | null): void {
  el.notice.hidden = !text;
  el.notice.textContent = text ?? '';
}

function markInvalid(input: HTMLElement, bad: boolean): void {
  if (bad) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// ---- settings --------------------------------------------------------------------------

/** Parses the pasted / drawn points; shows what is wrong inline. */
function parseCustomPoints(): { points?: Float32Array; error?: string } {
  const text = el.points.value;
  let result: { points?: Float32Array; error?: string };
  if (text.trim() === '') {
    result = { error: 'custom points: the set is empty — paste x,y rows or draw on the canvas' };
  } else {
    try {
      const csv = parseCsvPoints(text, 'points');
      if (csv.dim !== 2) result = { error: `points: ${csv.dim} column${csv.dim === 1 ? '' : 's'} per row, expected 2 (x,y)` };
      else if (csv.n < 2) result = { error: `points: ${csv.n} point, expected at least 2` };
      else if (csv.n > 50000) result = { error: `points: ${csv.n} points, at most 50000 here` };
      else result = { points: csv.points };
    } catch (e) {
      result = { error: (e as Error).message };
    }
  }
  ui.customPoints = result.points ?? null;
  el.pointsCount.textContent = result.points ? `${result.points.length / 2} points` : '';
  markInvalid(el.points, Boolean(result.error) && text.trim() !== '');
  return result;
}

function readLive(): { live?: LiveSettings; errors: string[] } {
  const errors: string[] = [];
  const values: Partial<Record<NumericField, number>> = {};
  for (const f of NUMERIC_FIELDS) {
    const r = parseField(f, numericInputs[f].value);
    markInvalid(numericInputs[f], typeof r === 'string');
    if (typeof r === 'string') errors.push(r);
    else values[f] = r;
  }
  if (errors.length) return { errors };
  const work = workProblem(values.flowSteps!, values.batch!);
  if (work) {
    markInvalid(numericInputs.flowSteps, true);
    markInvalid(numericInputs.batch, true);
    return { errors: [work] };
  }
  const live = Object.fromEntries(LIVE_FIELDS.map((f) => [f, values[f]!])) as unknown as LiveSettings;
  return { live, errors };
}

function readSettings(): { settings?: Settings; errors: string[] } {
  const { live, errors } = readLive();
  const seed = parseField('seed', numericInputs.seed.value);
  const target = el.target.value;
  let points: Float32Array | undefined;
  if (target === 'custom') {
    const r = parseCustomPoints();
    if (r.error) errors.push(r.error);
    points = r.points;
  }
  const pairing = PAIRINGS.find((p) => p.value === el.pairing.value);
  if (!pairing) errors.push('pairing: choose a loss–divergence pairing');
  if (errors.length || !live || typeof seed === 'string' || !pairing) return { errors: typeof seed === 'string' && !errors.includes(seed) ? [...errors, seed] : errors };
  // the host checks the rest against the library's schema and answers with an error if needed
  return { settings: { target, points, divergence: pairing.divergence, loss: pairing.loss, seed, ...live }, errors };
}

function configure(run: boolean): boolean {
  const { settings, errors } = readSettings();
  if (!settings) {
    showMessage(errors.join('\n'));
    return false;
  }
  showMessage(null);
  ui.busy = true;
  cancelReplay();
  configuredPoints = el.points.value;
  const transfer = settings.points ? [settings.points.slice().buffer] : [];
  if (settings.points) settings.points = new Float32Array(transfer[0] as ArrayBuffer);
  send({ type: 'configure', settings, run }, transfer);
  updateButtons();
  return true;
}

/** The custom points text the session was built from. */
let configuredPoints = '';

function restartNeeded(): boolean {
  if (!ui.session) return true;
  return ui.stale;
}

function onRestartSetting(): void {
  if (!ui.session) return;
  const s = ui.session.settings;
  const pairing = PAIRINGS.find((p) => p.value === el.pairing.value);
  const seed = parseField('seed', numericInputs.seed.value);
  ui.stale =
    el.target.value !== s.target ||
    (el.target.value === 'custom' && ui.session.kind === 'train' && el.points.value !== configuredPoints) ||
    pairing?.loss !== s.loss ||
    pairing?.divergence !== s.divergence ||
    seed !== s.seed;
  showNotice(ui.stale ? 'Target, pairing or seed changed: Train or Reset starts over with them.' : null);
  updateButtons();
}

function onLiveSetting(): void {
  const { live, errors } = readLive();
  if (!live) {
    showMessage(errors.join('\n'));
    return;
  }
  showMessage(null);
  if (ui.session) send({ type: 'tune', live });
}

// ---- buttons ---------------------------------------------------------------------------

function updateButtons(): void {
  const ready = ui.ready && !ui.busy;
  el.train.disabled = !ready;
  el.train.textContent = ui.running ? 'Pause' : !ui.session || ui.stale ? 'Train' : ui.iteration > 0 ? 'Resume' : 'Train';
  el.step.disabled = !ready || ui.running;
  el.reset.disabled = !ready;
  el.replay.disabled = !ready || !ui.session || ui.stale;
  el.exportCsv.disabled = !ready || !ui.session;
  el.exportPng.disabled = !ui.ready;
}

el.train.addEventListener('click', () => {
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
    showMessage(errors.join('\n'));
    return;
  }
  showMessage(null);
  cancelReplay();
  send({ type: 'tune', live });
  send({ type: 'run' });
});

el.step.addEventListener('click', () => {
  if (ui.running) return;
  cancelReplay();
  if (restartNeeded()) {
    if (configure(false)) pendingStep = true;
    return;
  }
  const { live, errors } = readLive();
  if (!live) {
    showMessage(errors.join('\n'));
    return;
  }
  send({ type: 'tune', live });
  send({ type: 'step' });
});
let pendingStep = false;

el.reset.addEventListener('click', () => configure(false));

el.replay.addEventListener('click', () => {
  if (!ui.session) return;
  if (ui.running) send({ type: 'pause' });
  send({ type: 'replay' });
});

for (const f of LIVE_FIELDS) numericInputs[f].addEventListener('input', onLiveSetting);
numericInputs.seed.addEventListener('input', () => {
  const r = parseField('seed', numericInputs.seed.value);
  markInvalid(numericInputs.seed, typeof r === 'string');
  showMessage(typeof r === 'string' ? r : null);
  onRestartSetting();
});
el.pairing.addEventListener('change', onRestartSetting);
el.target.addEventListener('change', () => {
  el.customPanel.hidden = el.target.value !== 'custom';
  if (el.target.value === 'custom') {
    const r = parseCustomPoints();
    if (el.points.value.trim() !== '' && r.error) showMessage(r.error);
  }
  refreshDataLayer();
  onRestartSetting();
});
el.points.addEventListener('input', () => {
  const r = parseCustomPoints();
  showMessage(r.error && el.points.value.trim() !== '' ? r.error : null);
  refreshDataLayer();
  onRestartSetting();
});
el.clearPoints.addEventListener('click', () => {
  el.points.value = '';
  parseCustomPoints();
  showMessage(null);
  refreshDataLayer();
  onRestartSetting();
});
el.backendChoice.addEventListener('change', () => {
  const p = new URLSearchParams(location.search);
  p.set('backend', el.backendChoice.value);
  location.search = p.toString();
});
for (const box of [el.showHeat, el.showTrails, el.showData]) {
  box.addEventListener('change', () => {
    renderer.state.showHeat = el.showHeat.checked;
    renderer.state.showTrails = el.showTrails.checked;
    renderer.state.showData = el.showData.checked;
    send({ type: 'options', trails: el.showTrails.checked });
    ui.dirty = true;
  });
}

/** The grey points: the custom set being edited, else the session's data. */
function refreshDataLayer(): void {
  if (el.target.value === 'custom' && (!ui.session || ui.stale || ui.session.kind !== 'train' || ui.session.settings.target !== 'custom')) {
    renderer.state.data = ui.customPoints ?? new Float32Array(0);
  } else {
    renderer.state.data = ui.session?.data ?? new Float32Array(0);
  }
  ui.dirty = true;
}

// ---- drawing custom points ----------------------------------------------------------------

let drawing = false;
let lastDraw = 0;
function addDrawnPoints(e: PointerEvent): void {
  const now = performance.now();
  if (now - lastDraw < 12) return;
  lastDraw = now;
  const rect = el.view.getBoundingClientRect();
  const [x, y] = renderer.toData(e.clientX - rect.left, e.clientY - rect.top);
  const b = renderer.state.bounds;
  const spread = 0.012 * (b.x1 - b.x0);
  const lines: string[] = [];
  for (let i = 0; i < 3; i++) {
    const u = Math.sqrt(-2 * Math.log(1 - Math.random()));
    const t = 2 * Math.PI * Math.random();
    lines.push(`${(x + spread * u * Math.cos(t)).toFixed(4)},${(y + spread * u * Math.sin(t)).toFixed(4)}`);
  }
  const text = el.points.value;
  el.points.value = text + (text === '' || text.endsWith('\n') ? '' : '\n') + lines.join('\n') + '\n';
  parseCustomPoints();
  refreshDataLayer();
}
el.view.addEventListener('pointerdown', (e) => {
  if (el.target.value !== 'custom' || !el.draw.checked) return;
  drawing = true;
  el.view.setPointerCapture(e.pointerId);
  addDrawnPoints(e);
});
el.view.addEventListener('pointermove', (e) => {
  if (drawing) addDrawnPoints(e);
});
const endDraw = (): void => {
  if (!drawing) return;
  drawing = false;
  showMessage(null);
  onRestartSetting();
};
el.view.addEventListener('pointerup', endDraw);
el.view.addEventListener('pointercancel', endDraw);

// ---- export ----------------------------------------------------------------------------

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileStem(): string {
  const label = ui.session ? (ui.session.settings.target === 'custom' ? 'custom' : ui.session.settings.target) : 'view';
  return `dggf-${label}-iter${ui.iteration}`;
}

el.exportCsv.addEventListener('click', () => {
  const n = Number(el.exportN.value.trim());
  const bad = !/^\s*\d+\s*$/.test(el.exportN.value) || n < 1 || n > 20000;
  markInvalid(el.exportN, bad);
  if (bad) {
    showMessage(`samples: expected a whole number from 1 to 20000, got '${el.exportN.value}'`);
    return;
  }
  showMessage(null);
  send({ type: 'export', id: ++ui.exports, n });
});

function onSamples(points: Float32Array): void {
  const rows = ['x0,x1'];
  for (let i = 0; i + 1 < points.length; i += 2) rows.push(`${formatFloat32(points[i])},${formatFloat32(points[i + 1])}`);
  download(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), `${fileStem()}-samples.csv`);
}

el.exportPng.addEventListener('click', () => {
  renderer.draw();
  el.view.toBlob((blob) => {
    if (blob) download(blob, `${fileStem()}.png`);
    else showMessage('could not encode the view as PNG');
  }, 'image/png');
});

// ---- loading a run folder ----------------------------------------------------------------

async function loadRunFiles(files: File[], how: string): Promise<void> {
  const pathOf = (f: File): string => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const config = files.find((f) => f.name === 'config.json') ?? files.find((f) => f.name.endsWith('.json'));
  const checkpoints = files.filter((f) => f.name.endsWith('.ckpt'));
  const metrics = files.find((f) => f.name === 'metrics.jsonl');
  const data = files.find((f) => /\.(csv|tsv|txt)$/i.test(f.name) && !/^samples/.test(pathOf(f)));
  if (!config) {
    showMessage(`${how}: no config.json among ${files.length} file${files.length === 1 ? '' : 's'}`);
    return;
  }
  if (!checkpoints.length) {
    showMessage(`${how}: no checkpoint (checkpoints/iter-*.ckpt) — train the run first, or add its .ckpt file`);
    return;
  }
  const buffers = await Promise.all(checkpoints.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
  postLoad({
    config: await config.text(),
    checkpoints: buffers,
    metrics: metrics ? await metrics.text() : undefined,
    data: data ? { name: data.name, text: await data.text() } : undefined,
  });
}

function postLoad(m: Omit<Extract<ToHost, { type: 'load' }>, 'type'>): void {
  showMessage(null);
  cancelReplay();
  ui.busy = true;
  updateButtons();
  send({ type: 'load', ...m }, m.checkpoints.map((c) => c.bytes));
}

for (const input of [el.loadDir, el.loadFiles]) {
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) void loadRunFiles(files, input === el.loadDir ? 'folder' : 'files').catch((e) => showMessage((e as Error).message));
  });
}

/** `dggf playground --run DIR` serves the run next to the page. */
async function loadServedRun(): Promise<void> {
  let manifest: { config: string; checkpoint: string; metrics?: string; data?: string; name?: string };
  try {
    const r = await fetch('run/manifest.json', { cache: 'no-store' });
    if (!r.ok) return;
    manifest = await r.json();
  } catch {
    return; // a static host without a run
  }
  try {
    const get = async (url: string): Promise<Response> => {
      const r = await fetch(url, { cache: 'no-store' });
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r;
    };
    postLoad({
      config: await (await get(manifest.config)).text(),
      checkpoints: [{ name: manifest.checkpoint.split('/').pop()!, bytes: await (await get(manifest.checkpoint)).arrayBuffer() }],
      metrics: manifest.metrics ? await (await get(manifest.metrics)).text() : undefined,
      data: manifest.data ? { name: 'data.csv', text: await (await get(manifest.data)).text() } : undefined,
    });
  } catch (e) {
    showMessage(`loading the served run: ${(e as Error).message}`);
  }
}

// ---- replay ----------------------------------------------------------------------------

function cancelReplay(): void {
  if (ui.replay && !ui.replay.done) {
    ui.replay.done = true;
    renderer.state.showTrails = el.showTrails.checked;
  }
}

const REPLAY_FRAME_MS = 40;

function stepReplay(now: number): void {
  const r = ui.replay;
  if (!r || r.done) return;
  const i = Math.min(r.frames.length - 1, Math.floor((now - r.start) / REPLAY_FRAME_MS));
  if (i !== r.index) {
    r.index = i;
    renderer.setParticles(r.frames[i], false);
    el.sessionLabel.textContent = `${ui.session?.label ?? ''} — replaying the flow: step ${r.steps[i]} of ${r.steps[r.steps.length - 1]}`;
  }
  if (i >= r.frames.length - 1) {
    r.done = true;
    renderer.state.showTrails = el.showTrails.checked;
    setSessionLabel();
  }
  ui.dirty = true;
}

// ---- drawing the page ------------------------------------------------------------------

function setSessionLabel(): void {
  const s = ui.session;
  if (!s) {
    el.sessionLabel.textContent = '';
    return;
  }
  const notes = s.notes.length ? ` — ${s.notes.join('; ')}` : '';
  el.sessionLabel.textContent = `${s.kind === 'run' ? 'Loaded ' : 'Training on '}${s.label}, pairing ${s.settings.loss.toUpperCase()}–${s.settings.divergence}, ${s.viewSize} particles shown${notes}`;
}

function drawCurves(): void {
  const s = ui.session;
  const est = s?.estimate === 'chi2' ? 'χ² estimate (mean r − 1)' : 'KL estimate (mean log r)';
  const hist = s?.history;
  const panels: Panel[] = [
    {
      title: 'loss',
      series: [
        ...(hist ? [{ x: hist.iteration, y: hist.loss, color: '#aaa' }] : []),
        { x: ui.curves.iteration, y: ui.curves.loss, color: '#1537a8' },
      ],
      reference: s ? { y: LOSS_AT_EQUALITY[s.settings.loss], label: 'q = p' } : undefined,
      xLabel: 'it',
    },
    {
      title: est,
      series: [
        ...(hist ? [{ x: hist.iteration, y: hist.estimate, color: '#aaa' }] : []),
        { x: ui.curves.iteration, y: ui.curves.estimate, color: '#b45309' },
      ],
      xLabel: 'it',
    },
    {
      title: `MMD, ${s?.viewSize ?? 512} particles vs fresh data`,
      series: [{ x: ui.mmd.map((m) => m.iteration), y: ui.mmd.map((m) => m.value), color: '#0f766e', markers: true }],
      reference: s?.mmdFloor != null ? { y: s.mmdFloor, label: 'data vs data' } : undefined,
      log: true,
      xLabel: 'it',
    },
  ];
  const kl = ui.replay?.kl;
  if (kl && ui.replay) panels.push({ title: 'KL estimate along the replayed flow', series: [{ x: kl.map((_, k) => k), y: kl, color: '#7c3aed' }], xLabel: 'step' });
  drawPanels(el.curves, panels);
}

let curvesDirty = true;
function frameLoop(now: number): void {
  stepReplay(now);
  if (ui.dirty || renderer.animating(now)) {
    renderer.draw(now);
    ui.dirty = false;
  }
  if (curvesDirty) {
    drawCurves();
    curvesDirty = false;
  }
  requestAnimationFrame(frameLoop);
}

function onFrame(f: Frame): void {
  ui.frames++;
  ui.iteration = f.iteration;
  for (let i = 0; i < f.iterations.length; i++) {
    ui.curves.iteration.push(f.iterations[i]);
    ui.curves.loss.push(f.loss[i]);
    ui.curves.estimate.push(f.estimate[i]);
  }
  if (f.mmd?.length) ui.mmd.push(...f.mmd);
  if (f.heat) {
    renderer.setHeat(f.heat);
    el.heatRange.textContent = `±${fmt(renderer.heatRange, 2)}`;
  }
  if (f.particles && !(ui.replay && !ui.replay.done)) {
    renderer.setParticles(f.particles);
    renderer.state.trails = f.trails ?? null;
  }
  ui.itPerSec = f.itPerSec;
  ui.stepMs = f.stepMs;
  ui.tensors = f.tensors;
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
  ui.dirty = true;
  curvesDirty = true;
  if (pendingStep) {
    pendingStep = false;
    send({ type: 'step' });
  }
}

function onConfigured(info: SessionInfo): void {
  ui.session = info;
  ui.busy = false;
  ui.running = false; // a new session starts paused; a 'state' message follows if it runs
  ui.stale = false;
  ui.iteration = info.iteration;
  ui.curves = { iteration: [], loss: [], estimate: [] };
  ui.mmd = [];
  ui.replay = null;
  renderer.state.bounds = info.bounds;
  renderer.clearHeat();
  renderer.setParticles(null);
  renderer.state.trails = null;
  el.estimateLabel.textContent = info.estimate === 'chi2' ? 'χ² est.' : 'KL est.';
  el.loss.textContent = el.estimate.textContent = el.mmd.textContent = '—';
  if (info.kind === 'run') {
    // show the loaded run's settings; η, ν, K, batch, lr still steer it
    const s = info.settings;
    el.target.value = s.target;
    el.customPanel.hidden = s.target !== 'custom';
    el.pairing.value = `${s.loss}-${s.divergence}`;
    for (const f of NUMERIC_FIELDS) {
      numericInputs[f].value = String(s[f]);
      markInvalid(numericInputs[f], false);
    }
    send({ type: 'replay' });
  }
  refreshDataLayer();
  setSessionLabel();
  showNotice(null);
  curvesDirty = true;
  updateButtons();
}

function onHost(msg: FromHost): void {
  switch (msg.type) {
    case 'ready': {
      ui.ready = true;
      fillPairings(msg.pairings);
      ui.engine = msg.engine;
      ui.thread = msg.thread;
      const e = msg.engine;
      const extra = e.backend === 'webgl' && e.renderer ? ` · ${e.renderer}` : e.backend === 'wasm' ? (e.simd ? ' · SIMD' : ' · no SIMD') : '';
      el.backend.textContent = `${e.backend}${extra}${msg.thread === 'main' ? ' · page thread' : ' · worker'}`;
      el.backend.title = [`TF.js backend '${e.tfjsBackend}'`, ...e.skipped.map((s) => `${s.backend} skipped: ${s.reason}`)].join('\n');
      el.backend.classList.toggle('warn', e.backend === 'cpu' || e.software === true);
      updateButtons();
      void loadServedRun();
      return;
    }
    case 'fatal':
      el.backend.textContent = 'no backend';
      el.backend.classList.add('warn');
      showMessage(`The tensor engine could not start: ${msg.message}`);
      return;
    case 'configured':
      onConfigured(msg.info);
      return;
    case 'frame':
      onFrame(msg.frame);
      return;
    case 'state':
      ui.running = msg.running;
      ui.busy = false;
      if (msg.reason === 'done') showNotice(`Reached ${ui.iteration} iterations: raise “iterations” and press Resume to go on.`);
      updateButtons();
      return;
    case 'error':
      ui.busy = false;
      pendingStep = false;
      showMessage(msg.message);
      updateButtons();
      return;
    case 'samples':
      onSamples(msg.points);
      return;
    case 'trajectory':
      ui.replay = { frames: msg.frames, steps: msg.steps, kl: msg.kl, start: performance.now(), index: -1, done: false };
      renderer.state.showTrails = false;
      curvesDirty = true;
      return;
  }
}

// ---- for tests and the curious: window.dggfPlayground.state() ---------------------------

function viewSignature(): number {
  const ctx = el.view.getContext('2d')!;
  const d = ctx.getImageData(0, 0, el.view.width, el.view.height).data;
  let h = 2166136261;
  for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
  return h >>> 0;
}

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
      message: el.message.hidden ? null : el.message.textContent,
      replay: ui.replay ? { frames: ui.replay.frames.length, done: ui.replay.done, kl: ui.replay.kl?.length ?? 0 } : null,
    }),
    viewSignature,
  },
});

// ---- start -----------------------------------------------------------------------------

el.customPanel.hidden = el.target.value !== 'custom';
renderer.draw();
requestAnimationFrame(frameLoop);
startHost();
