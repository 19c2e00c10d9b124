/**
 * One honest line about a 2-D run's samples: the MMD ratio to fresh data together with the
 * share of samples off the known support and the mass balance between its parts, each with a
 * phrase saying what it means. MMD alone can look fine while a few percent of the samples sit
 * between the modes or one ring holds too much mass; the line never shows it alone when the
 * support is known, and for other point data it gives the share of samples far from every data point.
 */
import type { RunEvaluation } from './evaluate-run.js';

/** Where the phrases change: the issue-19 goal (MMD ratio ≤ 1.3, off-support ≤ 2%, parts within ±20%). */
export const SUMMARY_LIMITS = { mmdRatio: 1.3, mmdFar: 2, offSupport: 0.02, shareError: 0.2 } as const;

const pct = (v: number): string => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;

/** The MMD ratio to fresh data, with what it means. */
export function mmdPhrase(ev: RunEvaluation): string {
  const ratio = ev.mmd / ev.reference.mmd;
  const meaning =
    !Number.isFinite(ratio)
      ? 'not measurable'
      : ratio <= SUMMARY_LIMITS.mmdRatio
        ? 'about as close as fresh data'
        : ratio <= SUMMARY_LIMITS.mmdFar
          ? 'close, but distinguishable from fresh data'
          : 'clearly unlike the data';
  return `MMD ${ratio.toFixed(2)}× that of fresh data (${meaning})`;
}

/** Off-support share and mass balance, with what they mean; '' without a known support. */
export function supportPhrase(ev: RunEvaluation): string {
  const s = ev.support;
  if (!s) return '';
  const off =
    `${pct(s.off_support)} of samples off the support (data ${pct(s.data_off_support)}: ` +
    (s.off_support <= SUMMARY_LIMITS.offSupport ? 'the samples keep to it)' : 'mass is smeared between or around the parts)');
  let worst = 0;
  s.shares.forEach((v, i) => {
    if (Math.abs(v / s.data_shares[i] - 1) > Math.abs(s.shares[worst] / s.data_shares[worst] - 1)) worst = i;
  });
  const balance =
    s.worst_share_error <= SUMMARY_LIMITS.shareError
      ? `every ${s.part_kind} within ${pct(s.worst_share_error)} of its share in the data (mass split as in the data)`
      : `${s.part_kind} ${worst + 1} holds ${pct(s.shares[worst])} against ${pct(s.data_shares[worst])} in the data (mass split unevenly)`;
  return `${off}; ${balance}`;
}

/** Without a known support: the share of samples far from every data point, with what it means; '' when not measured. */
export function farPhrase(ev: RunEvaluation): string {
  const f = ev.far_from_data;
  if (!f) return '';
  return (
    `${pct(f.share)} of samples far from every data point (farther than all but ${pct(1 - f.quantile)} of held-out data points are: ` +
    (f.share <= SUMMARY_LIMITS.offSupport ? 'no more strays than fresh data)' : 'mass is smeared around or between the data)')
  );
}

/** The whole summary: MMD, then off-support and mass balance where the support is known, else the far-from-data share. */
export function qualitySummary(ev: RunEvaluation): string {
  const support = supportPhrase(ev) || farPhrase(ev);
  return support ? `${mmdPhrase(ev)}; ${support}` : `${mmdPhrase(ev)}; no known support to check off-support mass against`;
}
