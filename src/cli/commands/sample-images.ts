/**
 * `dggf sample` for image runs: DIR/000000.png … (clamped to [−1, 1] on save) and DIR/grid.png,
 * optionally a GIF of an 8×8 grid flowing from the prior and the KL estimate per flow step;
 * with classifier guidance, DIR/class-<Y>/000000.png … per class, a grid with one row per class
 * and DIR/classes.json.
 */
import { phaseCounter, type OnProgress } from '../../util/progress.js';
import fs from 'node:fs';
import path from 'node:path';
import { readAndDispose, tf } from '../../engine/index.js';
import type { FlowModel, SampleResult } from '../../flow/model.js';
import { sampleBatches } from '../../flow/batches.js';
import { classifierGuidanceTerm } from '../../flow/guidance.js';
import { classifierLogProbs, pixelsPerImage, type ImageClassifier } from '../../nets/classifier.js';
import type { ImageShape } from '../../data/types.js';
import { imageFlowGif, imageGridPng, imagePng } from '../../viz/index.js';
import { checkWritableDir, ensureDir, writeFileAtomic } from '../../util/fs-atomic.js';
import { eventLoopTurn } from '../../util/turn.js';
import { klCurveCsv, type SampleOutcome } from './sample-points.js';
import { UsageError } from '../errors.js';

export interface ImageSampleOptions {
  n: number;
  out: string;
  seed: number;
  steps: number;
  gif?: string;
  klCurve?: string;
  /** Progress of the flow ('flowing samples', after each batch). */
  onProgress?: OnProgress;
}

export function checkImageOutDir(out: string, what = 'the PNGs'): void {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out}: is a file; for an image run --out is a folder for ${what}`);
  }
  const parent = path.dirname(path.resolve(out));
  if (!fs.existsSync(parent)) throw new UsageError(`--out ${out}: the folder ${parent} does not exist`);
  checkWritableDir(fs.existsSync(out) ? out : parent, out);
}

/** The file name of image i of n written to a folder: 000000.png … (at least 6 digits). */
export function numberedPngName(i: number, n: number): string {
  return `${String(i).padStart(Math.max(6, String(n - 1).length), '0')}.png`;
}

/**
 * Flows n images in batches of 250 and writes each batch's PNGs as it comes (memory stays flat
 * whatever n) into a hidden staging folder inside `out`, moved into place when every image is
 * finite: a diverged or interrupted flow leaves nothing. Returns the lines to print, or the
 * status. The grid holds the first 100 images; the GIF and KL curve come from the first batch.
 */
export async function sampleImages(
  model: FlowModel,
  shape: ImageShape,
  o: ImageSampleOptions & { signal?: AbortSignal },
): Promise<SampleOutcome> {
  const dim = model.derived.dim;
  const gridN = Math.min(o.n, 100);
  const gridImages = new Float32Array(gridN * dim);
  const createdOut = !fs.existsSync(o.out);
  ensureDir(o.out);
  const staging = path.join(o.out, `.dggf-sample-${process.pid}.partial`);
  ensureDir(staging);
  const names: string[] = [];
  let first: SampleResult | undefined;
  const dropAll = (): void => {
    fs.rmSync(staging, { recursive: true, force: true });
    if (createdOut && fs.readdirSync(o.out).length === 0) fs.rmdirSync(o.out);
  };
  const progress = phaseCounter(o.onProgress, 'flowing and writing', o.n, 'images');
  try {
    const batches = sampleBatches(model, o.n, {
      seed: o.seed,
      steps: o.steps,
      klCurve: Boolean(o.klCurve),
      trajectoryEvery: o.gif ? Math.max(1, Math.round(o.steps / 30)) : undefined,
    });
    for await (const { start, count, result } of batches) {
      if (!result.samples.every(Number.isFinite)) {
        dropAll();
        return { status: 'diverged' };
      }
      first ??= result;
      if (start < gridN) gridImages.set(result.samples.subarray(0, Math.min(count, gridN - start) * dim), start * dim);
      for (let k = 0; k < count; k++) {
        const name = numberedPngName(start + k, o.n);
        writeFileAtomic(path.join(staging, name), imagePng(result.samples, k, shape));
        names.push(name);
        // writing a batch's PNGs is synchronous: the count so far, so a pipe still gets its line
        progress.set(start);
      }
      progress.set(start + count);
      await eventLoopTurn();
      if (o.signal?.aborted) {
        dropAll();
        return { status: 'interrupted' };
      }
    }
    for (const name of names) fs.renameSync(path.join(staging, name), path.join(o.out, name));
    fs.rmSync(staging, { recursive: true, force: true });
  } catch (e) {
    dropAll();
    throw e;
  }
  writeFileAtomic(path.join(o.out, 'grid.png'), imageGridPng(gridImages, gridN, shape, { cols: Math.min(10, gridN) }));
  const lines = [`wrote ${o.n} images and grid.png to ${o.out}`];
  const trajectory = first?.trajectory;
  if (o.gif && trajectory) {
    const k = Math.min(64, trajectory[0].points.length / dim);
    const frames = trajectory.map((t) => t.points.subarray(0, k * dim));
    writeFileAtomic(o.gif, imageFlowGif(frames, k, shape, { cols: Math.min(8, k), captions: trajectory.map((t) => `step ${t.step}`) }));
    lines.push(`wrote the flow of ${k} images (${trajectory.length} frames) to ${o.gif}`);
  }
  if (o.klCurve && first?.kl) {
    writeFileAtomic(o.klCurve, klCurveCsv(first.kl));
    lines.push(`wrote the KL estimate at ${first.kl.length} flow steps to ${o.klCurve}`);
  }
  return { status: 'done', lines };
}

/** One class to sample: its index in the classifier's output and its name when known. */
export interface GuidedClass {
  index: number;
  name?: string;
}

/**
 * `--class` tokens → class indices. A token equal to a class name (exactly, else
 * case-insensitively when that is unique) is that class, so names win over indices when
 * both could apply (a folder class called '7' is the class named '7'); otherwise a whole
 * number is a class index. Errors name the classifier file and list what is allowed.
 */
export function parseClassList(spec: string, classes: number, classNames: string[] | undefined, source: string): GuidedClass[] {
  const tokens = spec.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === '')) throw new UsageError(`--class '${spec}': empty class in the list, expected e.g. --class 3 or --class 0,1,2`);
  const names = classNames && classNames.length === classes ? classNames : undefined;
  const allowed = names
    ? `0..${classes - 1} or one of ${names.map((n) => JSON.stringify(n)).join(', ')}`
    : `a class index 0..${classes - 1} (the classifier has no class names)`;
  const out: GuidedClass[] = [];
  for (const t of tokens) {
    let index = names ? names.indexOf(t) : -1;
    if (index < 0 && names) {
      const folded = names.flatMap((n, i) => (n.toLowerCase() === t.toLowerCase() ? [i] : []));
      if (folded.length === 1) index = folded[0];
    }
    if (index < 0 && /^\d+$/.test(t)) {
      index = Number(t);
      if (index >= classes) {
        throw new UsageError(`--class ${t}: out of range, the classifier ${source} has ${classes} classes (expected ${allowed})`);
      }
    }
    if (index < 0) throw new UsageError(`--class '${t}': not a class of the classifier ${source} (expected ${allowed})`);
    if (out.some((c) => c.index === index)) throw new UsageError(`--class '${spec}': class ${index} is listed twice`);
    out.push({ index, ...(names ? { name: names[index] } : {}) });
  }
  return out;
}

export interface GuidedSampleOptions {
  n: number;
  out: string;
  seed: number;
  steps: number;
  /** Guidance weight φ. */
  guidance: number;
  /** Softmax temperature of the classifiers (1: as they are). */
  temperature: number;
  run: string;
  /** Progress of each class's flow. */
  onProgress?: OnProgress;
}

/** A guiding classifier and its model.json (recorded in classes.json, named in errors). */
export interface Guide {
  clf: ImageClassifier;
  file: string;
}

/** The record written to DIR/classes.json. */
export interface GuidedSampleRecord {
  run: string;
  /** The guiding classifiers' model.json files; each adds −φ log p(y|x) to the potential. */
  classifiers: string[];
  guidance: number;
  temperature: number;
  steps: number;
  seed: number;
  n: number;
  /** Every class starts from the same prior draws and noise (the same seed): rows differ only by the class. */
  sharedStart: true;
  classes: {
    index: number;
    name?: string;
    folder: string;
    /** Per guiding classifier (not independent judges): mean log p(y|x) of the samples, and the fraction it assigns (argmax) to the class. */
    guides: { classifier: string; meanLogProb: number; agreement: number }[];
  }[];
}

/** Mean log p(y = c | x) and argmax agreement of n flat images under the classifier. */
async function classifierView(clf: ImageClassifier, images: Float32Array, n: number, c: number): Promise<{ meanLogProb: number; agreement: number }> {
  const per = pixelsPerImage(clf.image);
  let logSum = 0;
  let agree = 0;
  for (let start = 0; start < n; start += 256) {
    const b = Math.min(256, n - start);
    const [lpT, amT] = tf.tidy(() => {
      const lp = classifierLogProbs(clf, tf.tensor2d(images.subarray(start * per, (start + b) * per), [b, per]));
      return [tf.reshape(tf.slice(lp, [0, c], [-1, 1]), [-1]), tf.argMax(lp, 1)];
    });
    const [lp, am] = await readAndDispose(lpT, amT);
    for (let k = 0; k < b; k++) {
      logSum += lp[k];
      if (am[k] === c) agree++;
    }
  }
  return { meanLogProb: logSum / n, agreement: agree / n };
}

/**
 * Classifier-guided sampling: for each class, n images flowed with the ratio term plus
 * −φ log p(y|x) for each guiding classifier (all classes from the same seed), written as DIR/class-<index>/000000.png …,
 * DIR/grid.png (one row per class, up to 10 columns) and DIR/classes.json. Nothing is written
 * when a flow diverges (returns null); otherwise the lines to print.
 */
export async function sampleImagesByClass(
  model: FlowModel,
  shape: ImageShape,
  guides: Guide[],
  classes: GuidedClass[],
  o: GuidedSampleOptions,
): Promise<string[] | null> {
  const per = pixelsPerImage(shape);
  const perClass: Float32Array[] = [];
  for (const c of classes) {
    const terms = guides.map((g) =>
      classifierGuidanceTerm(g.clf, c.index, o.guidance, model.derived.normalizer, { image: shape, source: g.file, temperature: o.temperature }),
    );
    const phase = `flowing class ${c.name !== undefined && c.name !== String(c.index) ? `${c.index} (${c.name})` : c.index}`;
    const { samples } = await model.sampleInBatches(o.n, { seed: o.seed, steps: o.steps, extraTerms: terms, onProgress: o.onProgress, phase });
    if (!samples.every(Number.isFinite)) return null;
    perClass.push(samples);
  }
  ensureDir(o.out);
  const cols = Math.min(10, o.n);
  const grid = new Float32Array(classes.length * cols * per);
  const record: GuidedSampleRecord = {
    run: path.resolve(o.run),
    classifiers: guides.map((g) => path.resolve(g.file)),
    guidance: o.guidance,
    temperature: o.temperature,
    steps: o.steps,
    seed: o.seed,
    n: o.n,
    sharedStart: true,
    classes: [],
  };
  const lines: string[] = [];
  for (const [k, c] of classes.entries()) {
    const folder = `class-${c.index}`;
    const dir = path.join(o.out, folder);
    ensureDir(dir);
    const samples = perClass[k];
    for (let i = 0; i < o.n; i++) writeFileAtomic(path.join(dir, numberedPngName(i, o.n)), imagePng(samples, i, shape));
    grid.set(samples.subarray(0, cols * per), k * cols * per);
    const views = [];
    for (const g of guides) views.push({ classifier: path.resolve(g.file), ...(await classifierView(g.clf, samples, o.n, c.index)) });
    record.classes.push({ index: c.index, ...(c.name !== undefined ? { name: c.name } : {}), folder, guides: views });
    const label = c.name !== undefined && c.name !== String(c.index) ? `${c.index} (${c.name})` : String(c.index);
    const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
    lines.push(
      `class ${label}: ${o.n} images in ${folder}/; ` +
        (views.length === 1
          ? `the guiding classifier assigns ${pct(views[0].agreement)} to it (mean log p(y|x) ${views[0].meanLogProb.toFixed(3)})`
          : `the ${views.length} guiding classifiers assign ${views.map((v) => pct(v.agreement)).join(' / ')} to it`),
    );
  }
  const rowLabels = classes.map((c) => Array.from(c.name ?? String(c.index)).slice(0, 16).join(''));
  writeFileAtomic(path.join(o.out, 'grid.png'), imageGridPng(grid, classes.length * cols, shape, { cols, rowLabels }));
  writeFileAtomic(path.join(o.out, 'classes.json'), JSON.stringify(record, null, 2) + '\n');
  lines.push(`wrote ${o.n} images per class for ${classes.length} class${classes.length === 1 ? '' : 'es'} (${guides.length > 1 ? `${guides.length} guiding classifiers, ` : ''}φ = ${o.guidance}${o.temperature === 1 ? '' : `, T = ${o.temperature}`}, ${o.steps} steps), grid.png and classes.json to ${o.out}`);
  // the guide's own agreement says little: guidance can raise it with patterns no other classifier sees
  lines.push('note: the agreement above is the guiding classifier judging its own guidance; check the classes with an independent classifier (npm run eval:conditional does)');
  return lines;
}
