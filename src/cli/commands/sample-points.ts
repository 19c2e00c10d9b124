/**
 * `dggf sample` for point runs: n samples streamed to a CSV in batches of POINT_BATCH (memory
 * stays flat whatever n; the file appears under its name only when complete), then the KL curve,
 * GIF and scatter plot, drawn from the first batch (all samples when n ≤ POINT_BATCH).
 */
import type { FlowModel, SampleResult } from '../../flow/model.js';
import { sampleBatches } from '../../flow/batches.js';
import { CsvPointsWriter } from '../../data/csv-writer.js';
import type { PointDataset } from '../../data/types.js';
import { flowAnimation, samplesOverData } from '../../report/pictures.js';
import { writeFileAtomic } from '../../util/fs-atomic.js';
import { eventLoopTurn } from '../../util/turn.js';

/** Points flowed at once; the first batch also makes the KL curve and the pictures. */
export const POINT_BATCH = 10_000;

export interface PointSampleOptions {
  n: number;
  out: string;
  seed: number;
  steps: number;
  klCurve?: string;
  gif?: string;
  png?: string;
  /**
   * Data to draw the GIF and PNG over (loaded only when one is asked for); `missing` instead
   * says why there is none to draw (the pictures then show the samples alone).
   */
  plotData: () => { data: Float32Array; dataset: PointDataset } | { missing: string };
  /** Stops between batches; nothing is left under --out. */
  signal?: AbortSignal;
  /** Called after each batch with the samples written so far. */
  onProgress?: (done: number) => void;
  /** A note for the user (e.g. pictures drawn without the data). */
  onNote?: (note: string) => void;
}

/** How a sampling run ended: its output lines, or why nothing was written. */
export type SampleOutcome = { status: 'done'; lines: string[] } | { status: 'diverged' } | { status: 'interrupted' };

/** The KL curve as CSV text. */
export function klCurveCsv(kl: number[]): string {
  return 'step,kl_estimate\n' + kl.map((v, i) => `${i},${v}`).join('\n') + '\n';
}

export async function samplePoints(model: FlowModel, o: PointSampleOptions): Promise<SampleOutcome> {
  const dim = model.derived.dim;
  const writer = new CsvPointsWriter(o.out, dim);
  let first: SampleResult | undefined;
  try {
    const batches = sampleBatches(model, o.n, {
      seed: o.seed,
      steps: o.steps,
      batch: POINT_BATCH,
      klCurve: Boolean(o.klCurve),
      trajectoryEvery: o.gif ? Math.max(1, Math.round(o.steps / 60)) : undefined,
    });
    for await (const { start, count, result } of batches) {
      if (!result.samples.every(Number.isFinite)) {
        writer.abort();
        return { status: 'diverged' };
      }
      writer.append(result.samples);
      first ??= result;
      o.onProgress?.(start + count);
      await eventLoopTurn();
      if (o.signal?.aborted) {
        writer.abort();
        return { status: 'interrupted' };
      }
    }
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  const lines = [`wrote ${o.n} samples to ${o.out}`];
  const part = o.n > POINT_BATCH ? ` (from the first ${POINT_BATCH} samples)` : '';
  if (o.klCurve && first?.kl) {
    writeFileAtomic(o.klCurve, klCurveCsv(first.kl));
    lines.push(`wrote the KL estimate at ${first.kl.length} flow steps to ${o.klCurve}${part}`);
  }
  if (o.gif || o.png) {
    const plot = o.plotData();
    const { data, dataset } = 'missing' in plot ? { data: new Float32Array(0), dataset: {} } : plot;
    if ('missing' in plot) o.onNote?.(`--png/--gif drawn without the data: ${plot.missing}`);
    if (o.gif && first?.trajectory) {
      writeFileAtomic(o.gif, flowAnimation(first.trajectory, data));
      lines.push(`wrote the flow animation to ${o.gif}${part}`);
    }
    if (o.png && first) {
      writeFileAtomic(o.png, samplesOverData(first.samples, data, dataset, `${Math.min(o.n, POINT_BATCH)} samples`));
      lines.push(`wrote the scatter plot to ${o.png}${part}`);
    }
  }
  return { status: 'done', lines };
}
