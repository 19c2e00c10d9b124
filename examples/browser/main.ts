/**
 * A minimal page that samples from an exported dggf model: `import … from 'dggf'` resolves to
 * the package's browser build (its `browser` export), which loads the export with TF.js and
 * flows prior draws. 2-D exports are drawn as a scatter, image exports as a grid.
 *
 * Query: ?model=URL of the export folder (default ./model/), ?n=samples, ?seed=…
 * The result is also left on window.dggfExample (its test reads it: test/e2e/browser-build.test.ts).
 */
import { loadExportedFlow, sampleRgba, tf, type ExportSamples, type ExportSource } from 'dggf';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status')!;
const canvas = document.getElementById('view') as HTMLCanvasElement;

interface ExampleState {
  done: boolean;
  error: string | null;
  backend?: string;
  shape?: number[];
  values?: number[];
  ms?: number;
}
const state: ExampleState = { done: false, error: null };
(window as unknown as { dggfExample: ExampleState }).dggfExample = state;

/** Points as dots, over axes fitted to them (the first two coordinates). */
function drawScatter(s: ExportSamples): void {
  const ctx = canvas.getContext('2d')!;
  const [n, dim] = s.shape;
  const xs = Array.from({ length: n }, (_, i) => s.values[i * dim]);
  const ys = Array.from({ length: n }, (_, i) => s.values[i * dim + 1]);
  const span = Math.max(...xs.map(Math.abs), ...ys.map(Math.abs)) * 1.1 || 1;
  const px = (v: number): number => ((v + span) / (2 * span)) * canvas.width;
  const py = (v: number): number => canvas.height - ((v + span) / (2 * span)) * canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#ddd';
  ctx.beginPath();
  ctx.moveTo(px(-span), py(0));
  ctx.lineTo(px(span), py(0));
  ctx.moveTo(px(0), py(-span));
  ctx.lineTo(px(0), py(span));
  ctx.stroke();
  ctx.fillStyle = 'rgba(30, 90, 200, 0.6)';
  for (let i = 0; i < n; i++) ctx.fillRect(px(xs[i]) - 1.5, py(ys[i]) - 1.5, 3, 3);
  ctx.fillStyle = '#555';
  ctx.fillText(`axes ±${span.toFixed(2)}`, 8, 16);
}

/** Images in a square grid, each scaled up to fill its cell. */
function drawGrid(s: ExportSamples): void {
  const [n, height, width] = s.shape;
  const cols = Math.ceil(Math.sqrt(n));
  const cell = Math.floor(canvas.width / cols);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tile = document.createElement('canvas');
  tile.width = width;
  tile.height = height;
  for (let i = 0; i < n; i++) {
    tile.getContext('2d')!.putImageData(new ImageData(sampleRgba(s, i), width, height), 0, 0);
    ctx.drawImage(tile, (i % cols) * cell + 1, Math.floor(i / cols) * cell + 1, cell - 2, cell - 2);
  }
}

async function show(source: ExportSource, label: string): Promise<void> {
  state.done = false;
  state.error = null;
  status.className = '';
  try {
    const t0 = performance.now();
    const flow = await loadExportedFlow(source);
    const image = flow.manifest.image !== null;
    const n = Number(params.get('n') ?? (image ? 64 : 1000));
    const seed = Number(params.get('seed') ?? 0);
    const samples = await flow.sample(n, {
      seed,
      onStep: (k, steps) => {
        status.textContent = `${label}: flow step ${k} of ${steps}…`;
      },
    });
    flow.dispose();
    const ms = performance.now() - t0;
    if (image) drawGrid(samples);
    else drawScatter(samples);
    status.textContent = `${label}: ${samples.shape.join(' × ')} samples (${flow.manifest.run.data}, iteration ${flow.manifest.run.iteration}, ${flow.manifest.flow.steps} steps) in ${ms.toFixed(0)} ms on TF.js ${tf.getBackend()}`;
    Object.assign(state, { backend: tf.getBackend(), shape: samples.shape, values: Array.from(samples.values), ms });
  } catch (e) {
    state.error = (e as Error).message;
    status.textContent = state.error;
    status.className = 'error';
  }
  state.done = true;
}

document.getElementById('files')!.addEventListener('change', (e) => {
  const files = (e.target as HTMLInputElement).files;
  if (files?.length) void show(files, `${files.length} files`);
});
const model = params.get('model') ?? './model/';
void show(model, model);
