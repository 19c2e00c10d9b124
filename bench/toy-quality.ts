/**
 * The 2-D quality goal of issue 19 and the tables of bench/QUALITY.md: one row per trained run
 * (target × seed), and a verdict per target over its seeds.
 */
import type { RunEvaluation } from '../src/report/evaluate-run.js';
import { resolveConfig } from '../src/config/resolve.js';
import type { RunConfig, RunConfigInput } from '../src/config/schema.js';
import { resolveDataset, type PointDataset } from '../src/data/index.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';

/** MMD ratio to fresh data, off-support share, and the worst part's relative share error. */
export const GOAL = { mmdRatio: 1.3, offSupport: 0.02, shareError: 0.2 } as const;

export interface ToyRun {
  experiment: string;
  data: string;
  seed: number;
  trainSeconds: number;
  /** User + system CPU time of the process while training. */
  cpuSeconds: number;
  evaluation: RunEvaluation;
}

const pct = (v: number, digits = 2): string => `${(100 * v).toFixed(digits)}%`;

export function mmdRatio(ev: RunEvaluation): number {
  return ev.mmd / ev.reference.mmd;
}

/** Does one run meet every part of the goal? */
export function meetsGoal(ev: RunEvaluation): boolean {
  const s = ev.support;
  return mmdRatio(ev) <= GOAL.mmdRatio && s !== undefined && s.off_support <= GOAL.offSupport && s.worst_share_error <= GOAL.shareError;
}

export function markdownTable(runs: ToyRun[]): string[] {
  const rows = runs.map((r) => {
    const ev = r.evaluation;
    const s = ev.support;
    const shares = s
      ? `${pct(Math.min(...s.shares), 1)}–${pct(Math.max(...s.shares), 1)} (${pct(Math.min(...s.data_shares), 1)}–${pct(Math.max(...s.data_shares), 1)})`
      : '—';
    return (
      `| ${r.data} | ${r.seed} | ${r.trainSeconds.toFixed(0)} / ${r.cpuSeconds.toFixed(0)} | **${mmdRatio(ev).toFixed(2)}** | ` +
      `${s ? `**${pct(s.off_support)}** (${pct(s.data_off_support)})` : '—'} | ${s?.width_ratio?.toFixed(2) ?? '—'} | ${s ? `**${pct(s.worst_share_error, 0)}**` : '—'} | ${s ? s.part_kind : '—'}: ${shares} | ` +
      `${(ev.energy / ev.reference.energy).toFixed(2)} | ${(ev.sliced_w / ev.reference.sliced_w).toFixed(2)} | ${ev.kl_estimate?.toPrecision(3) ?? '—'} | ${meetsGoal(ev) ? 'yes' : 'no'} |`
    );
  });
  return [
    '| data | seed | train s / CPU s | MMD ratio | off-support (data) | width | worst part | part shares min–max (data) | energy ratio | sliced-W1 ratio | KL estimate | goal |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** One line per target: the worst of each measure over its seeds, and whether every seed met the goal. */
export function judgeRuns(runs: ToyRun[]): { data: string; met: boolean; line: string }[] {
  const names = [...new Set(runs.map((r) => r.data))];
  return names.map((data) => {
    const mine = runs.filter((r) => r.data === data);
    const worst = (f: (r: ToyRun) => number): number => Math.max(...mine.map(f));
    const met = mine.every((r) => meetsGoal(r.evaluation));
    const line =
      `${data}: ${met ? 'goal met' : 'goal NOT met'} over seeds ${mine.map((r) => r.seed).join(', ')} — worst MMD ratio ${worst((r) => mmdRatio(r.evaluation)).toFixed(2)}, ` +
      `off-support ${pct(worst((r) => r.evaluation.support?.off_support ?? NaN))}, part error ${pct(worst((r) => r.evaluation.support?.worst_share_error ?? NaN), 0)}, ` +
      `training ≤ ${worst((r) => r.trainSeconds).toFixed(0)} s (CPU ≤ ${worst((r) => r.cpuSeconds).toFixed(0)} s)`;
    return { data, met, line };
  });
}

/** A preset trained on one built-in target with `overrides`: the trainer (the caller disposes it) and its wall and CPU seconds. */
export async function trainToy(
  preset: string,
  overrides: RunConfigInput,
  data: string,
  seed: number,
): Promise<{ trainer: Trainer; config: RunConfig; dataset: PointDataset; seconds: number; cpuSeconds: number }> {
  const { config } = resolveConfig({ preset, overrides: { ...overrides, data, seed }, defaults: {} });
  const dataset = resolveDataset(data);
  const trainer = new Trainer(config, dataset, await deriveSetup(config, dataset));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (trainer.iteration < config.iterations) await trainer.step();
  const cpu = process.cpuUsage(c0);
  return { trainer, config, dataset, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
