/** The standard pictures of a 2-D run, built from viz primitives. */
import type { PointDataset } from '../data/types.js';
import { COLORS, boundsOf, curvesPng, curvesSvg, flowGif, scatterPanelsPng, type ScatterLayer, type Series } from '../viz/index.js';
import type { MetricsLine } from '../train/run-folder.js';

/**
 * Data and samples side by side on the same axes: the data alone (grey) on the left, the samples
 * (semi-transparent blue) over the faint data on the right, so neither hides the other; mode
 * centres of mixture toys as red rings in both. Without data (a run trained from memory, `data`
 * empty) one panel of the samples alone.
 */
export function samplesOverData(samples: Float32Array, data: Float32Array, dataset: Pick<PointDataset, 'modes'>, title: string): Buffer {
  const modes: ScatterLayer[] = dataset.modes ? [{ points: dataset.modes, color: COLORS.modes, label: 'modes', marker: 'ring' }] : [];
  const nData = data.length >> 1;
  const nSamples = samples.length >> 1;
  const samplesLayer: ScatterLayer = { points: samples, color: COLORS.samples, label: 'samples', alpha: nSamples > 3000 ? 0.45 : 0.6 };
  if (nData === 0) return scatterPanelsPng([{ title, layers: [samplesLayer, ...modes] }], { bounds: boundsOf([samples]) });
  return scatterPanelsPng(
    [
      { title: `data (${nData} points)`, layers: [{ points: data, color: COLORS.dataAlone, label: 'data' }, ...modes] },
      { title, layers: [{ points: data, color: COLORS.data, label: 'data', alpha: 0.5 }, samplesLayer, ...modes] },
    ],
    { bounds: boundsOf([data, samples]) },
  );
}

/**
 * Loss and diagnostic curves over training iterations. With `atEquality` (the loss's value at
 * q = p), the loss chart draws it as a reference line: a net that cannot tell particles from
 * data sits there.
 */
export function trainingCurves(
  metrics: MetricsLine[],
  atEquality?: number,
): { lossPng: Buffer; lossSvg: string; diagPng?: Buffer; diagSvg?: string; diagName?: string } {
  const x = metrics.map((m) => m.iteration);
  const loss: Series[] = [{ name: 'ratio loss', x, y: metrics.map((m) => m.loss) }];
  if (atEquality !== undefined && x.length > 0) {
    loss.push({ name: `value at q = p (${atEquality.toFixed(3)})`, x: [x[0], x[x.length - 1]], y: [atEquality, atEquality], color: COLORS.data });
  }
  const lossOpts = { title: 'Density-ratio loss', xLabel: 'iteration', yLabel: 'loss' };
  const hasKl = metrics.some((m) => m.kl_estimate !== undefined);
  const hasChi2 = metrics.some((m) => m.chi2_estimate !== undefined);
  const out: ReturnType<typeof trainingCurves> = { lossPng: curvesPng(loss, lossOpts), lossSvg: curvesSvg(loss, lossOpts) };
  if (hasKl || hasChi2) {
    const name = hasKl ? 'KL estimate (mean log r of flowed particles)' : 'chi2 estimate (mean r - 1 of flowed particles)';
    const series: Series[] = [
      { name: hasKl ? 'KL(q||p) estimate' : 'chi2(q||p) estimate', x, y: metrics.map((m) => (hasKl ? m.kl_estimate : m.chi2_estimate) ?? NaN) },
    ];
    const opts = { title: name, xLabel: 'iteration' };
    out.diagPng = curvesPng(series, opts);
    out.diagSvg = curvesSvg(series, opts);
    out.diagName = name;
  }
  return out;
}

/** KL estimate at each flow step of one sampling run. */
export function flowKlCurve(kl: number[]): { png: Buffer; svg: string } {
  const series: Series[] = [{ name: 'mean log r', x: kl.map((_, i) => i), y: kl }];
  const opts = { title: 'KL(q||p) estimate along the flow', xLabel: 'flow step' };
  return { png: curvesPng(series, opts), svg: curvesSvg(series, opts) };
}

/** Animated GIF of particles flowing from the prior to the samples. */
export function flowAnimation(trajectory: { step: number; points: Float32Array }[], data: Float32Array): Uint8Array {
  return flowGif(
    trajectory.map((t) => t.points),
    {
      width: 360,
      height: 360,
      background: data,
      bounds: boundsOf([data, trajectory[0].points, trajectory[trajectory.length - 1].points], 0.05),
      caption: (i) => `step ${trajectory[i].step} of ${trajectory[trajectory.length - 1].step}`,
    },
  );
}

/** The first two coordinates of row-major points (a copy; the identity layout for 2-D). */
export function firstTwo(points: Float32Array, dim: number): Float32Array {
  if (dim === 2) return points;
  const n = points.length / dim;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = points[i * dim];
    out[2 * i + 1] = points[i * dim + 1];
  }
  return out;
}
