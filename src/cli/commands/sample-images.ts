/**
 * `dggf sample` for image runs: DIR/000000.png … (clamped to [−1, 1] on save) and DIR/grid.png,
 * optionally a GIF of an 8×8 grid flowing from the prior and the KL estimate per flow step;
 * with classifier guidance, DIR/class-<Y>/000000.png … per class, a grid with one row per class
 * and DIR/classes.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readAndDispose, tf } from '../../engine/index.js';
import type { FlowModel } from '../../flow/model.js';
import { classifierGuidanceTerm } from '../../flow/guidance.js';
import { classifierLogProbs, pixelsPerImage, type ImageClassifier } from '../../nets/classifier.js';
import type { ImageShape } from '../../data/types.js';
import { imageFlowGif, imageGridPng, imagePng } from '../../viz/index.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { UsageError } from '../errors.js';

export interface ImageSampleOptions {
  n: number;
  out: string;
  seed: number;
  steps: number;
  gif?: string;
  klCurve?: string;
}

export function checkImageOutDir(out: string, what = 'the PNGs'): void {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out}: is a file; for an image run --out is a folder for ${what}`);
  }
  const parent = path.dirname(path.resolve(out));
  if (!fs.existsSync(parent)) throw new UsageError(`--out ${out}: the folder ${parent} does not exist`);
}

/** The file name of image i of n written to a folder: 000000.png … (at least 6 digits). */
export function numberedPngName(i: number, n: number): string {
  return `${String(i).padStart(Math.max(6, String(n - 1).length), '0')}.png`;
}

/** Flows n images in batches, writes them; returns the lines to print. Non-finite output → null. */
export async function sampleImages(model: FlowModel, shape: ImageShape, o: ImageSampleOptions): Promise<string[] | null> {
  const dim = model.derived.dim;
  const { samples: all, kl, trajectory } = await model.sampleInBatches(o.n, {
    seed: o.seed,
    steps: o.steps,
    klCurve: Boolean(o.klCurve),
    trajectoryEvery: o.gif ? Math.max(1, Math.round(o.steps / 30)) : undefined,
  });
  if (!all.every(Number.isFinite)) return null;
  fs.mkdirSync(o.out, { recursive: true });
  for (let i = 0; i < o.n; i++) writeFileAtomic(path.join(o.out, numberedPngName(i, o.n)), imagePng(all, i, shape));
  const gridN = Math.min(o.n, 100);
  writeFileAtomic(path.join(o.out, 'grid.png'), imageGridPng(all, gridN, shape, { cols: Math.min(10, gridN) }));
  const lines = [`wrote ${o.n} images and grid.png to ${o.out}`];
  if (o.gif && trajectory) {
    const k = Math.min(64, trajectory[0].points.length / dim);
    const frames = trajectory.map((t) => t.points.subarray(0, k * dim));
    writeFileAtomic(o.gif, imageFlowGif(frames, k, shape, { cols: Math.min(8, k), captions: trajectory.map((t) => `step ${t.step}`) }));
    lines.push(`wrote the flow of ${k} images (${trajectory.length} frames) to ${o.gif}`);
  }
  if (o.klCurve && kl) {
    writeFileAtomic(o.klCurve, 'step,kl_estimate\n' + kl.map((v, i) => `${i},${v}`).join('\n') + '\n');
    lines.push(`wrote the KL estimate at ${kl.length} flow steps to ${o.klCurve}`);
  }
  return lines;
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
    const { samples } = await model.sampleInBatches(o.n, { seed: o.seed, steps: o.steps, extraTerms: terms });
    if (!samples.every(Number.isFinite)) return null;
    perClass.push(samples);
  }
  fs.mkdirSync(o.out, { recursive: true });
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
    fs.mkdirSync(dir, { recursive: true });
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
