/** `dggf train` and `dggf demo`: resolve the config, train in a run folder, write the report. */
import path from 'node:path';
import fs from 'node:fs';
import { initEngine } from '../../engine/index.js';
import { resolveConfig } from '../../config/resolve.js';
import type { RunConfig, RunConfigInput } from '../../config/schema.js';
import { resolveDataset } from '../../data/index.js';
import { reconcileConfig, trainRun } from '../../train/run.js';
import { writeRunReport } from '../../report/run-report.js';
import { firstTwo, samplesOverData } from '../../report/pictures.js';
import { Rng } from '../../util/rng.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { createProgress } from '../progress.js';
import { EXIT } from '../errors.js';
import { readStoredRun } from '../../train/run-folder.js';

export interface TrainCliOptions {
  data?: string;
  out: string;
  preset?: string;
  config?: string;
  divergence?: RunConfig['divergence'];
  loss?: RunConfig['loss'];
  prior?: RunConfig['prior'];
  iterations?: number;
  flowSteps?: number;
  eta?: number;
  noise?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  hidden?: number;
  depth?: number;
  activation?: RunConfig['net']['activation'];
  logEvery?: number;
  checkpointEvery?: number;
  previewEvery?: number;
  normalize?: boolean;
  backend?: string;
  report?: boolean;
}

export async function trainCommand(o: TrainCliOptions): Promise<number> {
  const net = Object.fromEntries(
    Object.entries({ hidden: o.hidden, depth: o.depth, activation: o.activation }).filter(([, v]) => v !== undefined),
  );
  const overrides: RunConfigInput = {
    data: o.data,
    divergence: o.divergence,
    loss: o.loss,
    prior: o.prior,
    iterations: o.iterations,
    flowSteps: o.flowSteps,
    eta: o.eta,
    noise: o.noise,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed,
    logEvery: o.logEvery,
    checkpointEvery: o.checkpointEvery,
    previewEvery: o.previewEvery,
    normalize: o.normalize,
    ...(Object.keys(net).length ? { net } : {}),
  };
  // Everything is validated before the run folder is touched.
  const existing = fs.existsSync(o.out) && fs.statSync(o.out).isDirectory() ? readStoredRun(o.out) : null;
  const { config: requested, explicitKeys } = resolveConfig({
    preset: o.preset ?? existing?.config.preset,
    configFile: o.config,
    overrides,
    defaults: { data: existing?.config.data },
  });
  const dataset = resolveDataset(requested.data);
  const { config } = reconcileConfig(o.out, requested, explicitKeys);
  await initEngine(o.backend);

  const progress = createProgress(process.stderr, 'train');
  const dim = dataset.dim;
  const refRng = new Rng(config.seed + 7);
  const previewData = firstTwo(dataset.sample(1000, refRng), dataset.dim);
  let result;
  try {
    result = await trainRun({
      dir: o.out,
      config: requested,
      explicitKeys,
      dataset,
      onEvent: (e) => progress.onEvent(e),
      renderPreview:
        dim >= 2
          ? (samples, ds, file, iteration) =>
              writeFileAtomic(file, samplesOverData(firstTwo(samples, dim), previewData, ds, `${ds.name}, iteration ${iteration}`))
          : undefined,
    });
  } finally {
    progress.stop();
  }
  if (result.status === 'nan') return EXIT.diverged;
  if (o.report !== false) {
    const rep = await writeRunReport(o.out, dataset);
    const ev = rep.evaluation;
    const diag = ev.kl_estimate !== undefined ? `KL estimate ${ev.kl_estimate.toFixed(3)}` : `χ² estimate ${ev.chi2_estimate?.toFixed(3)}`;
    process.stdout.write(
      `MMD ${ev.mmd.toPrecision(3)} (data vs data ${ev.reference.mmd.toPrecision(3)}), ${diag}\n` +
        `report: ${path.resolve(rep.file)}\n`,
    );
  }
  return EXIT.ok;
}

export async function demoCommand(o: { out: string; backend?: string; seed?: number }): Promise<number> {
  process.stdout.write(`dggf demo: training the 'toy' preset on 8gaussians into ${o.out}\n`);
  return trainCommand({ data: '8gaussians', out: o.out, preset: 'toy', seed: o.seed, backend: o.backend });
}
