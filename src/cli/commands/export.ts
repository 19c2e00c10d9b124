/**
 * `dggf export`: a trained run as files other programs can sample from (src/export/): ONNX
 * graphs of the ratio net and one flow step, or a TF.js layers model of the ratio net; with the
 * prior and a manifest.
 */
import { initEngine, LayersExportError } from '../../engine/index.js';
import { exportOnnx } from '../../export/onnx.js';
import { exportTfjs } from '../../export/tfjs.js';
import { Run } from '../../train/run-folder.js';
import { loadRunSayingSkips } from '../run-loading.js';
import { EXIT, UsageError } from '../errors.js';

export const EXPORT_FORMATS = ['onnx', 'tfjs'] as const;
const WRITERS = { onnx: exportOnnx, tfjs: exportTfjs };
const EXAMPLES = { onnx: 'examples/onnx/sample.mjs', tfjs: 'examples/tfjs/sample.mjs' };

export async function exportCommand(o: { run: string; out: string; format: string; backend?: string; engine?: string }): Promise<number> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) {
    throw new UsageError(`--format ${o.format}: expected one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const format = o.format as (typeof EXPORT_FORMATS)[number];
  const run = Run.open(o.run);
  if (!run.stored) throw new UsageError(`--run ${o.run}: no config.json here: not a dggf run folder`);
  await initEngine(o.backend, { engine: o.engine });
  const { stored, model, checkpoint } = loadRunSayingSkips(run, { priorOptional: true });
  try {
    const m = await WRITERS[format](model, o.out, { data: stored.config.data, iteration: checkpoint.iteration });
    const files = [m.ratioNet.file, ...(format === 'tfjs' ? ['weights.bin'] : []), ...(m.flowStep ? [m.flowStep.file] : []), ...('file' in m.prior ? [m.prior.file] : []), 'manifest.json'];
    process.stdout.write(
      `export: iteration ${checkpoint.iteration} of ${o.run} → ${o.out}: ${files.join(', ')}\n` +
        `export: sample with ${m.flow.steps} flow steps from the ${m.prior.name} prior (see manifest.json; ${EXAMPLES[format]})\n`,
    );
    return EXIT.ok;
  } catch (e) {
    // a net a layers model cannot hold (self-attention, say): one line naming it, exit 2
    if (e instanceof LayersExportError) throw new UsageError(e.message);
    throw e;
  } finally {
    model.dispose();
  }
}
