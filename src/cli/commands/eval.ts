/** `dggf eval`: sample-quality metrics of a run against a dataset, as one JSON object. */
import { initEngine } from '../../engine/index.js';
import { resolveDataset } from '../../data/index.js';
import { loadRun } from '../../train/run.js';
import { evaluateModel } from '../../report/evaluate-run.js';
import { EXIT } from '../errors.js';

export async function evalCommand(o: { run: string; data?: string; n: number; seed: number; flowSteps?: number; backend?: string }): Promise<number> {
  await initEngine(o.backend);
  const { stored, model, checkpoint } = loadRun(o.run);
  try {
    const dataset = resolveDataset(o.data ?? stored.config.data, { expectDim: stored.derived.dim });
    const { evaluation } = evaluateModel(model, dataset, { n: o.n, seed: o.seed, steps: o.flowSteps });
    const out = { run: o.run, data: dataset.name, iteration: checkpoint.iteration, ...evaluation };
    process.stdout.write(JSON.stringify(out) + '\n');
    return EXIT.ok;
  } finally {
    model.dispose();
  }
}
