/**
 * report.html for a run folder: final samples over the data, the flow as a GIF, loss and KL
 * curves, sample-quality metrics next to the data-vs-data scale, and the configuration.
 * Pictures go to figures/; the page links them relatively so the folder can be moved.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PointDataset } from '../data/types.js';
import type { RunConfig } from '../config/schema.js';
import { loadRun } from '../train/run.js';
import { Run, type MetricsLine, type StoredRun } from '../train/run-folder.js';
import { escapeHtml, renderReport, type ReportSection } from '../viz/index.js';
import { engineInfo } from '../engine/index.js';
import { getLoss, type LossName } from '../losses/index.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { evaluateModel, type RunEvaluation } from './evaluate-run.js';
import { qualitySummary } from './summary.js';
import { phaseCounter, type OnProgress } from '../util/progress.js';
import { firstTwo, flowAnimation, flowKlCurve, samplesOverData, trainingCurves } from './pictures.js';

export interface ReportResult {
  file: string;
  evaluation: RunEvaluation;
}

export function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

/** The loss / diagnostic curves, speed, and the KL estimate along one flow. */
export function trainingSections(
  metrics: MetricsLine[],
  write: (name: string, data: Uint8Array | string) => string,
  flowKl?: number[],
  loss?: LossName,
): ReportSection[] {
  const sections: ReportSection[] = [];
  if (metrics.length > 0) {
    const curves = trainingCurves(metrics, loss ? getLoss(loss).atEquality : undefined);
    write('loss.png', curves.lossPng);
    sections.push({ heading: 'Training loss', svg: curves.lossSvg });
    if (curves.diagSvg && curves.diagPng) {
      write('diagnostic.png', curves.diagPng);
      sections.push({ heading: curves.diagName ?? 'Diagnostic', svg: curves.diagSvg });
    }
    const last = metrics[metrics.length - 1];
    sections.push({
      heading: 'Speed',
      table: { rows: [['iterations/s (last log window)', fmt(last.it_per_s)], ['training time this session (s)', fmt(last.elapsed_s)]] },
    });
  }
  if (flowKl && flowKl.length > 1) {
    const c = flowKlCurve(flowKl);
    write('flow-kl.png', c.png);
    sections.push({ heading: 'KL estimate along one flow', svg: c.svg });
  }
  return sections;
}

/**
 * Appends the sections every run report has (training curves, speed, KL along the flow,
 * configuration) to `sections` and writes report.html.
 */
export async function finishReport(o: {
  run: Run;
  dataName: string;
  stored: StoredRun;
  iteration: number;
  sections: ReportSection[];
  write: (name: string, data: Uint8Array | string) => string;
  flowKl?: number[];
}): Promise<void> {
  const cfg = o.stored.config;
  const sections = [...o.sections, ...trainingSections(o.run.metrics(), o.write, o.flowKl, cfg.loss), await configSection(cfg)];
  const html = renderReport({
    title: `dggf run — ${o.dataName}`,
    subtitle: `${cfg.preset} preset · ${cfg.loss.toUpperCase()}–${cfg.divergence} · ${o.iteration}/${cfg.iterations} iterations · ${o.run.dir}`,
    sections,
    footer: `Deep Generative Wasserstein Gradient Flows · dggf ${o.stored.dggf} · ${new Date().toISOString()}`,
  });
  writeFileAtomic(o.run.paths.report, html);
}

/** The run's configuration and the engine it ran on. */
export async function configSection(cfg: RunConfig): Promise<ReportSection> {
  const info = await engineInfo();
  return {
    heading: 'Configuration',
    table: {
      rows: [
        ...Object.entries(cfg).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : (v as string | number)] as [string, string | number]),
        ['engine', `${info.backend} (tfjs ${info.tfjs}, ${info.threads} thread${info.threads === 1 ? '' : 's'}, SIMD ${info.simd ?? 'n/a'})`],
      ],
    },
  };
}

/** report.html of a point run (`folder`: the run opened once, or its path, opened here), evaluated against `dataset`. */
export async function writeRunReport(
  folder: Run | string,
  dataset: PointDataset,
  opts: { n?: number; seed?: number; onProgress?: OnProgress } = {},
): Promise<ReportResult> {
  const run = typeof folder === 'string' ? Run.open(folder) : folder;
  const { paths } = run;
  const figDir = path.join(run.dir, 'figures');
  ensureDir(figDir);
  const { stored, model, checkpoint } = loadRun(run);
  const cfg = stored.config;
  const n = opts.n ?? 2000;
  const seed = opts.seed ?? cfg.seed + 101;
  try {
    const { evaluation, samples, reference } = await evaluateModel(model, dataset, { n, seed, onProgress: opts.onProgress });
    const write = (name: string, data: Uint8Array | string): string => {
      writeFileAtomic(path.join(figDir, name), data);
      return `figures/${name}`;
    };
    const dim = stored.derived.dim;
    const title = `${dataset.name}: ${cfg.loss.toUpperCase()}-${cfg.divergence}, ${checkpoint.iteration} iterations`;
    const steps = cfg.flowSteps + cfg.sampleExtraSteps;
    const picture = phaseCounter(opts.onProgress, 'flowing the animation', Math.min(n, 1500), 'points');
    const flow = await model.sample(Math.min(n, 1500), {
      seed: seed + 1,
      trajectoryEvery: dim >= 2 ? Math.max(1, Math.round(steps / 60)) : undefined,
      klCurve: model.logRatioNet,
    });
    picture.set(Math.min(n, 1500));
    const sections: ReportSection[] = [];
    if (dim >= 2) {
      // pictures show the first two coordinates (all of them for 2-D data)
      const plane = (p: Float32Array) => firstTwo(p, dim);
      const scatter = write('samples.png', samplesOverData(plane(samples), plane(reference), dataset, title));
      const trajectory = flow.trajectory!.map((t) => ({ step: t.step, points: plane(t.points) }));
      const gif = write('flow.gif', flowAnimation(trajectory, plane(reference)));
      const which = dim === 2 ? '' : ` (coordinates x0, x1 of ${dim})`;
      sections.push({
        heading: 'Samples and the flow',
        images: [
          { src: scatter, caption: `${n} samples (blue) over ${n} data points (grey)${which}` },
          { src: gif, caption: `particles flowing from the ${cfg.prior} prior, ${steps} steps${which}` },
        ],
      });
    }

    const metricRows: [string, string | number][] = [
      [
        `MMD (RBF, biased; mean of ${evaluation.sets} sets of ${evaluation.n})`,
        `${fmt(evaluation.mmd)}  (data vs data: ${fmt(evaluation.reference.mmd)}, ratio ${fmt(evaluation.mmd / evaluation.reference.mmd)})`,
      ],
      ['energy distance', `${fmt(evaluation.energy)}  (data vs data: ${fmt(evaluation.reference.energy)})`],
      ['sliced W1', `${fmt(evaluation.sliced_w)}  (data vs data: ${fmt(evaluation.reference.sliced_w)})`],
    ];
    if (evaluation.kl_estimate !== undefined) metricRows.push(['KL(q‖p) estimate (mean log r)', fmt(evaluation.kl_estimate)]);
    if (evaluation.chi2_estimate !== undefined) metricRows.push(['χ²(q‖p) estimate (mean r − 1)', fmt(evaluation.chi2_estimate)]);
    const s = evaluation.support;
    if (s) {
      metricRows.push([
        `off the support (farther than ${fmt(s.threshold)} from every ${s.part_kind}; ${s.n} samples)`,
        `${(100 * s.off_support).toFixed(2)}%  (data: ${(100 * s.data_off_support).toFixed(2)}%)`,
      ]);
      metricRows.push([`share per ${s.part_kind} (data)`, s.shares.map((v, i) => `${(100 * v).toFixed(1)}% (${(100 * s.data_shares[i]).toFixed(1)}%)`).join(' · ')]);
      metricRows.push([`worst ${s.part_kind} share error`, `${(100 * s.worst_share_error).toFixed(1)}%`]);
      if (s.width_ratio !== undefined) metricRows.push(['median distance to the support, samples / data', fmt(s.width_ratio)]);
    }
    const far = evaluation.far_from_data;
    if (far) {
      metricRows.push([
        `far from the data (nearest data point farther than ${fmt(far.threshold)}, the ${100 * far.quantile}th percentile for held-out data points; ${far.samples} samples)`,
        `${(100 * far.share).toFixed(2)}%  (held-out data: ${(100 * (1 - far.quantile)).toFixed(0)}% by construction)`,
      ]);
    }
    sections.push({ heading: 'Sample quality', html: `<p>${escapeHtml(qualitySummary(evaluation))}.</p>`, table: { rows: metricRows } });

    await finishReport({ run, dataName: dataset.name, stored, iteration: checkpoint.iteration, sections, write, flowKl: flow.kl });
    return { file: paths.report, evaluation };
  } finally {
    model.dispose();
  }
}
