/**
 * `dggf translate`: image-to-image translation with a trained image run. Given images (a
 * folder or one PNG/JPEG file, converted to the run's image shape) or the held-out test split
 * of the run's source domain (`--held-out`, never trained on) are flowed with the EMA weights
 * for K + κ steps by default (κ = 10 for data-prior runs unless set: the authors' K + 10). Writes DIR/<input-name>.png (input
 * | output side by side), DIR/grid.png (rows of inputs over rows of outputs, ≤ 64 images) and
 * DIR/translate.json (run, inputs, steps, seed). Any image run can translate; a run whose
 * prior is not a data prior gets a note, since it was not trained from a source domain.
 */
import { createPhaseProgress } from '../phase-progress.js';
import fs from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../engine/index.js';
import type { ImageShape } from '../../data/types.js';
import { IMAGE_EXTENSIONS, decodeImageFile, imagesToFloat, listImageFiles } from '../../data/images/index.js';
import { maxChannelSpread, rgbToGray, rgbaToSquareRgb } from '../../data/images/resize.js';
import { isDataPrior } from '../../priors/index.js';
import { loadRunSayingSkips } from '../run-loading.js';
import { Run } from '../../train/run-folder.js';
import { imageGridPng } from '../../viz/index.js';
import { ensureDir, writeFileAtomic } from '../../util/fs-atomic.js';
import { EXIT, UsageError } from '../errors.js';
import { checkImageOutDir, numberedPngName } from './sample-images.js';
import { heldOutSourceImages } from '../../report/evaluate-images.js';

export interface TranslateCliOptions {
  run: string;
  input?: string;
  heldOut?: boolean;
  out: string;
  n?: number;
  steps?: number;
  seed: number;
  backend?: string;
  engine?: string;
}

/** Held-out images translated when --n is not given. */
export const HELD_OUT_DEFAULT_N = 64;
/** Most pairs drawn in grid.png. */
export const GRID_MAX = 64;
const GRID_COLS = 8;

interface InputImages {
  /** n images in [−1, 1], row-major, of the run's shape. */
  x: Float32Array;
  n: number;
  /** Where each image came from (a path relative to --input, or `test[i]`). */
  labels: string[];
  /** Output file name of each image (in --out). */
  outputs: string[];
  notes: string[];
}

/** Output names: the input's name with .png; a clash (a.png, a.jpg; grid.png) keeps the extension, then numbers. */
export function outputNames(relPaths: string[]): string[] {
  const taken = new Set(['grid.png', 'translate.json']);
  return relPaths.map((rel, i) => {
    const flat = rel.split(/[\\/]/).join('_');
    const ext = path.extname(flat);
    const stem = flat.slice(0, flat.length - ext.length);
    for (const name of [`${stem}.png`, `${flat}.png`, `${stem}-${i}.png`]) {
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
    throw new Error(`no free output name for ${rel}`);
  });
}

/** Reads --input (a folder, searched recursively, or one image file) as images of the run's shape. */
export function readInputImages(input: string, shape: ImageShape, limit?: number): InputImages {
  let st;
  try {
    st = fs.statSync(input);
  } catch {
    throw new UsageError(`--input ${input}: not found, expected a folder of PNG/JPEG images or one image file`);
  }
  let dir: string;
  let files: string[];
  if (st.isDirectory()) {
    dir = input;
    files = listImageFiles(input);
    if (files.length === 0) {
      throw new UsageError(`--input ${input}: no images in this folder, expected files ending ${IMAGE_EXTENSIONS.join(', ')} (any case)`);
    }
  } else {
    dir = path.dirname(input);
    files = [path.basename(input)];
  }
  if (limit !== undefined) files = files.slice(0, limit);
  if (shape.height !== shape.width) throw new UsageError(`the run's images are ${shape.height}×${shape.width}; translate needs square images`);
  const size = shape.height;
  const per = size * size * shape.channels;
  const bytes = new Uint8Array(files.length * per);
  let resized = 0;
  let toGrey = 0;
  let toRgb = 0;
  let transparent = 0;
  files.forEach((rel, i) => {
    const img = decodeImageFile(path.join(dir, rel));
    const { rgb, changed } = rgbaToSquareRgb(img.rgba, img.width, img.height, size);
    if (changed) resized++;
    if (img.rgba.some((v, j) => (j & 3) === 3 && v !== 255)) transparent++;
    const grey = maxChannelSpread(rgb) === 0;
    if (shape.channels === 1) {
      if (!grey) toGrey++;
      bytes.set(rgbToGray(rgb), i * per);
    } else {
      if (grey) toRgb++;
      bytes.set(rgb, i * per);
    }
  });
  const n = files.length;
  const of = (k: number): string => `${k} of ${n} input${n === 1 ? '' : 's'}`;
  const notes: string[] = [];
  if (resized) notes.push(`${of(resized)} were not ${size}×${size}: centre-cropped and resized to the run's image size`);
  if (transparent) notes.push(`${of(transparent)} had transparency: composited on white`);
  if (toGrey) notes.push(`${of(toGrey)} were in colour: converted to grey (BT.601 luma) for this grey run`);
  if (toRgb) notes.push(`${of(toRgb)} were grey: repeated to 3 channels for this RGB run`);
  return { x: imagesToFloat({ count: n, pixels: bytes }), n, labels: files, outputs: outputNames(files), notes };
}

/**
 * grid.png: groups of up to 8 pairs, each a row of inputs over a row of their outputs; the
 * slots after the last pair stay white.
 */
export function translationGridPng(inputs: Float32Array, outputs: Float32Array, n: number, shape: ImageShape): Buffer {
  const dim = shape.height * shape.width * shape.channels;
  const cols = Math.min(GRID_COLS, n);
  const groups = Math.ceil(n / cols);
  const cells = new Float32Array(groups * 2 * cols * dim).fill(1);
  for (let i = 0; i < n; i++) {
    const g = Math.floor(i / cols);
    const c = i % cols;
    cells.set(inputs.subarray(i * dim, (i + 1) * dim), (2 * g * cols + c) * dim);
    cells.set(outputs.subarray(i * dim, (i + 1) * dim), ((2 * g + 1) * cols + c) * dim);
  }
  const rowLabels = Array.from({ length: 2 * groups }, (_, r) => (r % 2 === 0 ? 'in' : 'out'));
  return imageGridPng(cells, 2 * groups * cols, shape, { cols, rowLabels });
}

/** One input | output pair as a PNG of 2W × H pixels (left: the input, right: its translation). */
export function pairPng(input: Float32Array, output: Float32Array, shape: ImageShape): Buffer {
  const dim = input.length;
  const both = new Float32Array(2 * dim);
  both.set(input, 0);
  both.set(output, dim);
  return imageGridPng(both, 2, shape, { cols: 2, scale: 1, pad: 0 });
}

export async function translateCommand(o: TranslateCliOptions): Promise<number> {
  if (o.input !== undefined && o.heldOut) throw new UsageError("--input and --held-out: give one of them (your images, or the source dataset's test split)");
  if (o.input === undefined && !o.heldOut) {
    throw new UsageError("give --input DIR|FILE (images to translate) or --held-out (the run's source dataset's test split)");
  }
  checkImageOutDir(o.out, 'the translated PNGs');
  const run = Run.open(o.run);
  const stored = run.stored;
  if (!stored) throw new UsageError(`--run ${o.run}: no config.json here: not a dggf run folder`);
  const shape = stored.derived.image;
  if (!shape) throw new UsageError(`--run ${o.run} was trained on ${stored.derived.dim}-D points; translate needs an image run`);
  const priorName = stored.derived.prior.name;
  const notes: string[] = [];
  if (priorName !== 'data') {
    if (o.heldOut) {
      throw new UsageError(`--held-out: the run in ${o.run} has the '${priorName}' prior, not a source dataset (train with --prior-data); use --input`);
    }
    notes.push(
      `the run's prior is '${priorName}', not a data prior: it was not trained to translate from a source domain; ` +
        `the flow still moves the inputs towards ${stored.config.data}`,
    );
  }
  const fromFiles = o.input !== undefined ? readInputImages(o.input, shape, o.n) : null;
  if (fromFiles) notes.push(...fromFiles.notes);
  const steps = o.steps ?? stored.config.flowSteps + stored.config.sampleExtraSteps;

  await initEngine(o.backend, { engine: o.engine });
  // your own --input images do not need the run's source domain; --held-out does
  const { model, checkpoint } = loadRunSayingSkips(run, { priorOptional: o.input !== undefined });
  try {
    let inputs: InputImages;
    if (fromFiles) {
      inputs = fromFiles;
    } else {
      const prior = model.prior;
      if (!isDataPrior(prior)) throw new UsageError(`--held-out: the run in ${o.run} has no source dataset`);
      const held = heldOutSourceImages(model, o.n ?? HELD_OUT_DEFAULT_N, 1);
      if (!held) {
        throw new UsageError(
          `--held-out: the source ${prior.source.name} has no held-out split (folders need ≥ 20 images for one); use --input`,
        );
      }
      const { n } = held;
      inputs = {
        x: held.images,
        n,
        labels: Array.from({ length: n }, (_, i) => `test[${i}]`),
        outputs: Array.from({ length: n }, (_, i) => numberedPngName(i, n)),
        notes: [],
      };
    }
    const { n, x } = inputs;
    const phases = createPhaseProgress('translate');
    const res = await model.flowFrom(x, n, { seed: o.seed, steps, onProgress: phases.onProgress, phase: 'translating' }).finally(() => phases.stop());
    if (!res.samples.every(Number.isFinite)) {
      process.stderr.write(`dggf: the flow diverged: some outputs are NaN/Inf after ${steps} steps; nothing was written (try fewer --steps)\n`);
      return EXIT.diverged;
    }
    ensureDir(o.out);
    const dim = stored.derived.dim;
    for (let i = 0; i < n; i++) {
      const one = (a: Float32Array) => a.subarray(i * dim, (i + 1) * dim);
      writeFileAtomic(path.join(o.out, inputs.outputs[i]), pairPng(one(x), one(res.samples), shape));
    }
    const gridN = Math.min(n, GRID_MAX);
    writeFileAtomic(path.join(o.out, 'grid.png'), translationGridPng(x, res.samples, gridN, shape));
    const prior = stored.derived.prior;
    const record = {
      run: path.resolve(o.run),
      iteration: checkpoint.iteration,
      prior: priorName,
      ...(prior.name === 'data' ? { source: prior.source } : {}),
      target: stored.config.data,
      from: fromFiles ? { input: path.resolve(o.input!) } : { heldOut: 'test split of the source (never trained on)' },
      image: shape,
      steps,
      seed: o.seed,
      inputs: inputs.labels.map((input, i) => ({ input, output: inputs.outputs[i] })),
      notes,
    };
    writeFileAtomic(path.join(o.out, 'translate.json'), JSON.stringify(record, null, 2) + '\n');
    for (const note of notes) process.stderr.write(`note: ${note}\n`);
    process.stdout.write(
      `translated ${n} image${n === 1 ? '' : 's'} (${steps} flow steps): wrote ${n} input|output PNG${n === 1 ? '' : 's'}, ` +
        `grid.png and translate.json to ${o.out}\n`,
    );
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}
