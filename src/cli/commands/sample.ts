/**
 * `dggf sample`: flow prior draws with a run's EMA weights. Points: a CSV, optional KL curve,
 * GIF and PNG; images: a folder of PNGs and a grid (sample-images.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { initEngine } from '../../engine/index.js';
import { writeCsvPoints, resolveDataset } from '../../data/index.js';
import { loadRun } from '../../train/run.js';
import { flowAnimation, samplesOverData } from '../../report/pictures.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { Rng } from '../../util/rng.js';
import { UsageError, EXIT } from '../errors.js';
import { readStoredRun } from '../../train/run-folder.js';
import { getLoss } from '../../losses/index.js';
import { checkImageOutDir, sampleImages } from './sample-images.js';

export interface SampleCliOptions {
  run: string;
  n: number;
  out: string;
  flowSteps?: number;
  seed: number;
  klCurve?: string;
  gif?: string;
  png?: string;
  backend?: string;
}

/** An output file's folder must exist before any work is done. */
function checkOutput(option: string, file: string | undefined, ext: string): void {
  if (file === undefined) return;
  if (!file.toLowerCase().endsWith(ext)) throw new UsageError(`${option} ${file}: expected a ${ext} file path`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: the folder ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${option} ${file}: is a folder, expected a file path`);
}

export async function sampleCommand(o: SampleCliOptions): Promise<number> {
  const stored = readStoredRun(o.run);
  if (!stored) throw new UsageError(`--run ${o.run}: no config.json here: not a dggf run folder`);
  const image = stored.derived.image;
  if (image) {
    checkImageOutDir(o.out);
    if (o.png) throw new UsageError('--png draws 2-D points; an image run writes its grid to --out/grid.png');
  } else {
    checkOutput('--out', o.out, '.csv');
  }
  checkOutput('--kl-curve', o.klCurve, '.csv');
  checkOutput('--gif', o.gif, '.gif');
  checkOutput('--png', o.png, '.png');
  if (o.klCurve && getLoss(stored.config.loss).output !== 'log-ratio') {
    throw new UsageError(`--kl-curve: the run's net outputs r (loss '${stored.config.loss}'), not log r; the KL estimate needs --loss lr or kl`);
  }
  await initEngine(o.backend);
  const { model } = loadRun(o.run);
  try {
    const dim = stored.derived.dim;
    if (image) {
      const steps = o.flowSteps ?? stored.config.flowSteps + stored.config.sampleExtraSteps;
      const lines = sampleImages(model, image, { n: o.n, out: o.out, seed: o.seed, steps, gif: o.gif, klCurve: o.klCurve });
      if (!lines) {
        process.stderr.write(`dggf: the flow diverged: some samples are NaN/Inf after ${steps} steps; nothing was written (try fewer --flow-steps)\n`);
        return EXIT.diverged;
      }
      process.stdout.write(lines.join('\n') + '\n');
      return EXIT.ok;
    }
    if ((o.gif || o.png) && dim !== 2) throw new UsageError(`--gif/--png draw 2-D points; this run is ${dim}-D`);
    const steps = o.flowSteps ?? stored.config.flowSteps + stored.config.sampleExtraSteps;
    const res = model.sample(o.n, {
      seed: o.seed,
      steps,
      klCurve: Boolean(o.klCurve),
      trajectoryEvery: o.gif ? Math.max(1, Math.round(steps / 60)) : undefined,
    });
    if (!res.samples.every(Number.isFinite)) {
      process.stderr.write(
        `dggf: the flow diverged: some samples are NaN/Inf after ${steps} steps; nothing was written (try fewer --flow-steps)\n`,
      );
      return EXIT.diverged;
    }
    writeCsvPoints(o.out, res.samples, dim);
    process.stdout.write(`wrote ${o.n} samples to ${o.out}\n`);
    if (o.klCurve && res.kl) {
      writeFileAtomic(o.klCurve, 'step,kl_estimate\n' + res.kl.map((v, i) => `${i},${v}`).join('\n') + '\n');
      process.stdout.write(`wrote the KL estimate at ${res.kl.length} flow steps to ${o.klCurve}\n`);
    }
    if (o.gif || o.png) {
      const dataset = resolveDataset(stored.config.data, { expectDim: dim });
      const data = dataset.sample(Math.min(2000, Math.max(500, o.n)), new Rng(o.seed + 1));
      if (o.gif && res.trajectory) {
        writeFileAtomic(o.gif, flowAnimation(res.trajectory, data));
        process.stdout.write(`wrote the flow animation to ${o.gif}\n`);
      }
      if (o.png) {
        writeFileAtomic(o.png, samplesOverData(res.samples, data, dataset, `${o.n} samples`));
        process.stdout.write(`wrote the scatter plot to ${o.png}\n`);
      }
    }
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}
