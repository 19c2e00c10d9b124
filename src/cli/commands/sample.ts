/**
 * `dggf sample`: flow prior draws with a run's EMA weights. Points: a CSV, optional KL curve,
 * GIF and PNG; images: a folder of PNGs and a grid (sample-images.ts), or with --class and
 * --classifier, class-conditional samples guided by the classifier p(y|x).
 */
import fs from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../engine/index.js';
import { memoryDataName, resolveDataset } from '../../data/index.js';
import { MAX_DATASET_BYTES, MAX_SAMPLE_IMAGES, MAX_SAMPLE_POINTS } from '../../data/limits.js';
import { checkWritableDir } from '../../util/fs-atomic.js';
import { Rng } from '../../util/rng.js';
import { createPhaseProgress } from '../phase-progress.js';
import { phaseCounter } from '../../util/progress.js';
import { signalExitCode, withInterrupts } from '../interrupt.js';
import { loadRunSayingSkips } from '../run-loading.js';
import { samplePoints } from './sample-points.js';
import { UsageError, EXIT } from '../errors.js';
import { Run } from '../../train/run-folder.js';
import { getLoss } from '../../losses/index.js';
import { checkImageOutDir, parseClassList, sampleImages, sampleImagesByClass, type Guide } from './sample-images.js';
import { loadClassifier } from '../../train/classifier-file.js';
import { type ImageClassifier } from '../../nets/classifier.js';
import { isImageDataset } from '../../data/types.js';
import { datasetOptions } from '../../config/resolve.js';
import type { StoredRun } from '../../train/run-folder.js';
import { classifierDir } from './classifier.js';
import { GUIDED_EXTRA_STEPS } from '../../config/presets.js';

export interface SampleCliOptions {
  run: string;
  n: number;
  out: string;
  flowSteps?: number;
  seed: number;
  klCurve?: string;
  gif?: string;
  png?: string;
  /** Classes to sample, comma-separated indices or names (classifier guidance). */
  class?: string;
  /** The guiding classifiers (each a folder or a model.json); several: their terms add up. */
  classifier?: string[];
  /** Guidance weight φ (default GUIDANCE_DEFAULT). */
  guidance?: number;
  /** Softmax temperature of the guiding classifier (default 1). */
  guidanceTemperature?: number;
  backend?: string;
  engine?: string;
}

/** Default guidance weight φ (the authors' value). */
export const GUIDANCE_DEFAULT = 0.1;

/** --class, --classifier, --guidance and --guidance-temperature: all or none of the first two; the others only with them. */
function checkGuidanceOptions(o: SampleCliOptions): boolean {
  const hasClass = o.class !== undefined;
  const hasClassifier = o.classifier !== undefined && o.classifier.length > 0;
  if (hasClass && !hasClassifier) throw new UsageError('--class needs --classifier DIR|model.json (the classifier p(y|x) that guides the flow)');
  if (hasClassifier && !hasClass) throw new UsageError('--classifier needs --class Y[,Y2,…] (the classes to sample)');
  if (o.guidance !== undefined && !hasClass) throw new UsageError('--guidance needs --class Y and --classifier DIR|model.json');
  if (o.guidanceTemperature !== undefined && !hasClass) throw new UsageError('--guidance-temperature needs --class Y and --classifier DIR|model.json');
  return hasClass;
}

/** Class names for --class: the classifier's, else (when it has none) the run's dataset's if their count fits. */
function classNamesFor(clf: ImageClassifier, spec: string, stored: StoredRun): string[] | undefined {
  if (clf.classNames) return clf.classNames;
  if (spec.split(',').every((t) => /^\s*\d+\s*$/.test(t))) return undefined;
  try {
    const ds = resolveDataset(stored.config.data, datasetOptions(stored.config));
    return isImageDataset(ds) && ds.classNames?.length === clf.classes ? ds.classNames : undefined;
  } catch {
    return undefined;
  }
}

/** An output file's folder must exist and be writable before any work is done. */
function checkOutput(option: string, file: string | undefined, ext: string): void {
  if (file === undefined) return;
  if (!file.toLowerCase().endsWith(ext)) throw new UsageError(`${option} ${file}: expected a ${ext} file path`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: the folder ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${option} ${file}: is a folder, expected a file path`);
  checkWritableDir(dir, file);
}

/** --n within the documented limits (points are streamed; images are one PNG each; guided classes are held in memory). */
function checkSampleCount(o: SampleCliOptions, stored: StoredRun, guided: boolean): void {
  const image = stored.derived.image;
  const max = image ? MAX_SAMPLE_IMAGES : MAX_SAMPLE_POINTS;
  if (o.n > max) throw new UsageError(`--n ${o.n}: at most ${max} ${image ? 'images' : 'points'} per call (run it again with other --seed values for more)`);
  if (guided) {
    const classes = o.class!.split(',').length;
    const bytes = o.n * classes * stored.derived.dim * 4;
    if (bytes > MAX_DATASET_BYTES) {
      const most = Math.floor(MAX_DATASET_BYTES / (classes * stored.derived.dim * 4));
      throw new UsageError(`--n ${o.n}: guided sampling keeps ${classes} class${classes === 1 ? '' : 'es'} × n images in memory, at most ${most} per class here`);
    }
  }
}

export async function sampleCommand(o: SampleCliOptions): Promise<number> {
  const guided = checkGuidanceOptions(o);
  const run = Run.open(o.run);
  const stored = run.stored;
  if (!stored) throw new UsageError(`--run ${o.run}: no config.json here: not a dggf run folder`);
  const image = stored.derived.image;
  if (guided) {
    if (!image) throw new UsageError(`--class: guidance needs an image run; ${o.run} holds a ${stored.derived.dim}-D point run`);
    if (o.gif || o.klCurve) throw new UsageError('--gif and --kl-curve are not available with --class (guided sampling writes per-class folders and a grid)');
  }
  if (image) {
    checkImageOutDir(o.out);
    if (o.png) throw new UsageError('--png draws 2-D points; an image run writes its grid to --out/grid.png');
  } else {
    checkOutput('--out', o.out, '.csv');
  }
  checkOutput('--kl-curve', o.klCurve, '.csv');
  checkOutput('--gif', o.gif, '.gif');
  checkOutput('--png', o.png, '.png');
  checkSampleCount(o, stored, guided);
  if (o.klCurve && getLoss(stored.config.loss).output !== 'log-ratio') {
    throw new UsageError(`--kl-curve: the run's net outputs r (loss '${stored.config.loss}'), not log r; the KL estimate needs --loss lr or kl`);
  }
  await initEngine(o.backend, { engine: o.engine });
  const { model } = loadRunSayingSkips(run);
  const guides: Guide[] = [];
  const phases = createPhaseProgress('sample');
  try {
    const dim = stored.derived.dim;
    if (image && guided) {
      for (const spec of o.classifier!) {
        const folder = classifierDir(spec, '--classifier');
        guides.push({ clf: await loadClassifier(folder, { image }), file: path.join(folder, 'model.json') });
      }
      const [first, ...others] = guides;
      for (const g of others) {
        if (g.clf.classes !== first.clf.classes) {
          throw new UsageError(`${g.file}: has ${g.clf.classes} classes, but ${first.file} has ${first.clf.classes}; classifiers that guide together must share their classes`);
        }
      }
      // class names come from whichever guide has them; all that have them must agree
      const named = guides.find((g) => g.clf.classNames) ?? first;
      for (const g of guides) {
        if (g.clf.classNames && g.clf.classNames.some((name, i) => name !== named.clf.classNames![i])) {
          throw new UsageError(`${g.file}: its class names differ from those of ${named.file}; classifiers that guide together must share their classes`);
        }
      }
      const classes = parseClassList(o.class!, named.clf.classes, classNamesFor(named.clf, o.class!, stored), named.file);
      // the authors' guided flows take K + 10 steps, whatever κ the run samples with
      const steps = o.flowSteps ?? stored.config.flowSteps + GUIDED_EXTRA_STEPS;
      const guidance = o.guidance ?? GUIDANCE_DEFAULT;
      const lines = await sampleImagesByClass(model, image, guides, classes, {
        n: o.n,
        out: o.out,
        seed: o.seed,
        steps,
        guidance,
        temperature: o.guidanceTemperature ?? 1,
        run: o.run,
        onProgress: phases.onProgress,
      });
      phases.stop();
      if (!lines) {
        process.stderr.write(`dggf: the guided flow diverged: some samples are NaN/Inf after ${steps} steps; nothing was written (try a smaller --guidance or fewer --flow-steps)\n`);
        return EXIT.diverged;
      }
      process.stdout.write(lines.join('\n') + '\n');
      return EXIT.ok;
    }
    const steps = o.flowSteps ?? stored.config.flowSteps + stored.config.sampleExtraSteps;
    if (!image && (o.gif || o.png) && dim !== 2) throw new UsageError(`--gif/--png draw 2-D points; this run is ${dim}-D`);
    const flowing = phaseCounter(image ? undefined : phases.onProgress, 'flowing samples', o.n, 'points');
    return await withInterrupts(async (signal) => {
      const res = image
        ? await sampleImages(model, image, { n: o.n, out: o.out, seed: o.seed, steps, gif: o.gif, klCurve: o.klCurve, signal, onProgress: phases.onProgress })
        : await samplePoints(model, {
            n: o.n,
            out: o.out,
            seed: o.seed,
            steps,
            klCurve: o.klCurve,
            gif: o.gif,
            png: o.png,
            signal,
            onProgress: (done) => flowing.set(done),
            onNote: (note) => process.stderr.write(`dggf: note: ${note}\n`),
            plotData: () => {
              const inMemory = memoryDataName(stored.config.data);
              if (inMemory !== null) return { missing: `the run was trained on data given in memory (${inMemory})` };
              const dataset = resolveDataset(stored.config.data, { expectDim: dim });
              return { dataset, data: dataset.sample(Math.min(2000, Math.max(500, o.n)), new Rng(o.seed + 1)) };
            },
          });
      phases.stop();
      if (res.status === 'diverged') {
        process.stderr.write(`dggf: the flow diverged: some samples are NaN/Inf after ${steps} steps; nothing was written (try fewer --flow-steps)\n`);
        return EXIT.diverged;
      }
      if (res.status === 'interrupted') {
        process.stderr.write(`sample: stopped by ${String(signal.reason)}; nothing was written to ${o.out}\n`);
        return signalExitCode(signal);
      }
      process.stdout.write(res.lines.join('\n') + '\n');
      return EXIT.ok;
    });
  } finally {
    phases.stop();
    for (const g of guides) g.clf.dispose();
    model.dispose();
  }
}
