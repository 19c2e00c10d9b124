/**
 * Training progress for people: a live bar on a terminal (iteration, loss, KL, it/s, ETA),
 * plain lines when output is a pipe or file: the logged iterations (at most about one a
 * second), and between them a line at least every DGGF_PROGRESS_INTERVAL seconds (default 3;
 * src/cli/phase-progress.ts), also while one long iteration runs.
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/run.js';
import type { ClassifierProgress } from '../train/classifier.js';
import { formatDuration, isLiveTerminal, progressIntervalMs, type PhaseProgressOptions } from './phase-progress.js';

export { formatDuration } from './phase-progress.js';

function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
}

/** One line of classifier-training progress (`dggf classifier train`, `dggf features train`). */
export function classifierProgressLine(prefix: string, p: ClassifierProgress): string {
  const rate = p.step / Math.max(p.seconds, 1e-9);
  return (
    `${prefix}: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} accuracy ${(100 * p.accuracy).toFixed(1)}% ` +
    `${rate.toFixed(2)} steps/s ETA ${formatDuration((p.steps - p.step) / rate)}\n`
  );
}

/** The held-out accuracy line printed after classifier training. */
export function classifierAccuracyLine(prefix: string, heldOut: 'test' | 'holdout', accuracy: number, count: number, seconds: number): string {
  const held = heldOut === 'test' ? 'test' : 'held-out';
  return `${prefix}: ${held} accuracy ${(100 * accuracy).toFixed(2)}% on ${count} images, trained in ${formatDuration(seconds)}\n`;
}

export interface ProgressReporter {
  onEvent(e: TrainEvent): void;
  stop(): void;
}

/** A line about the first iteration when it took at least this long (or the pipe interval): a CPU running a GPU-scale net. */
const SLOW_FIRST_ITERATION_S = 10;

export function createProgress(stream: NodeJS.WritableStream = process.stderr, label = 'train', opts: PhaseProgressOptions = {}): ProgressReporter {
  const tty = opts.tty ?? isLiveTerminal(stream);
  const interval = opts.intervalMs ?? progressIntervalMs();
  const now = opts.now ?? (() => performance.now());
  let bar: cliProgress.SingleBar | null = null;
  let lastPlain = 0;
  let lastLine = now();
  // this session's start, its first iteration, the last finished one and when
  let run: { total: number; t0: number; from: number; last: number; lastAt: number } | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  // before 'start': the run is set up (the prior's fit to the data, the nets, the first sessions)
  let setupSince: number | null = now();
  const diagName = { value: 'KL' };
  const write = (s: string): void => {
    stream.write(s + '\n');
    lastLine = now();
  };
  const makeBar = (total: number, value: number): void => {
    bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: `${label} {bar} {value}/{total} | loss {loss} | {diag} {kl} | {speed} it/s | ETA {etaText}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, value, { loss: '—', kl: '—', speed: '—', etaText: '—', diag: diagName.value });
  };
  // a message line: the bar is finished where it stands and a new one goes on below it
  const print = (s: string): void => {
    const had = bar;
    if (bar) bar.stop();
    bar = null;
    write(s);
    if (had && run) makeBar(run.total, run.last);
  };
  const rateText = (r: NonNullable<typeof run>): string => {
    const done = r.last - r.from;
    const rate = (done * 1000) / Math.max(1e-6, r.lastAt - r.t0);
    return done > 0 ? `${rate >= 1 ? rate.toFixed(1) : rate.toPrecision(2)} it/s ETA ${formatDuration((r.total - r.last) / rate)}` : '';
  };
  // pipe: the iteration under way, when nothing was printed for an interval
  const beat = (): void => {
    if (tty || now() - lastLine < interval) return;
    if (!run) {
      if (setupSince !== null) write(`${label}: setting up the run (the prior's fit to the data, the net) for ${formatDuration((now() - setupSince) / 1000)}`);
      return;
    }
    const running = formatDuration((now() - run.lastAt) / 1000);
    if (run.last >= run.total) {
      write(`${label}: iteration ${run.total}/${run.total} done; final checkpoint and preview samples (${running})`);
      return;
    }
    const rate = rateText(run);
    write(`${label}: iteration ${run.last + 1}/${run.total} running for ${running}${rate ? `; ${rate}` : ''}`);
  };
  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  const startTimer = (): void => {
    if (tty || timer) return;
    timer = setInterval(beat, Math.max(50, Math.min(1000, interval / 3)));
    timer.unref?.();
  };
  startTimer();
  return {
    onEvent(e) {
      switch (e.type) {
        case 'start': {
          for (const f of e.skipped) print(`${label}: skipped unreadable checkpoint ${f.reason}`);
          // a finished run says "already complete" instead (its 'done' event follows)
          if (e.resumedFrom !== null && e.resumedFrom < e.total) print(`${label}: resuming from iteration ${e.resumedFrom} of ${e.total}`);
          run = { total: e.total, t0: now(), from: e.resumedFrom ?? 0, last: e.resumedFrom ?? 0, lastAt: now() };
          setupSince = null;
          startTimer();
          if (tty) makeBar(e.total, e.resumedFrom ?? 0);
          break;
        }
        case 'warning':
          print(`${label}: warning: ${e.message}`);
          break;
        case 'tick': {
          if (bar) bar.update(e.iteration);
          if (!run) break;
          const first = run.last === run.from;
          const took = (now() - run.lastAt) / 1000;
          run.last = e.iteration;
          run.lastAt = now();
          if (first && took >= Math.max(SLOW_FIRST_ITERATION_S, interval / 1000)) {
            print(`${label}: the first iteration took ${formatDuration(took)}; ${run.total - e.iteration} more at this speed take about ${formatDuration((run.total - e.iteration) * took)}`);
          } else if (!tty && now() - lastLine >= interval) {
            write(`${label}: iteration ${e.iteration}/${run.total} ${rateText(run)}`);
          }
          break;
        }
        case 'log': {
          const s = e.stats;
          const diag = s.klEstimate !== undefined ? 'KL' : 'χ²';
          const val = s.klEstimate ?? s.chi2Estimate;
          if (bar) {
            bar.update(s.iteration, {
              loss: fmt(s.loss),
              kl: fmt(val, 3),
              speed: e.itPerSec.toFixed(1),
              etaText: formatDuration(e.etaSeconds),
              diag,
            });
          } else {
            const t = now();
            if (t - lastPlain >= 1000 || e.etaSeconds === 0) {
              lastPlain = t;
              write(
                `${label}: iteration ${s.iteration} loss ${fmt(s.loss)} ${diag} ${fmt(val, 3)} lr ${s.lr.toExponential(1)} ` +
                  `${e.itPerSec.toFixed(1)} it/s ETA ${formatDuration(e.etaSeconds)}`,
              );
            }
          }
          break;
        }
        case 'diverged':
          print(
            `${label}: stopped: ${e.reason.replace('non-finite (NaN/Inf)', 'NaN/Inf')}; ` +
              (e.keptCheckpoint ? `the last good checkpoint is kept (${e.keptCheckpoint})` : 'no checkpoint was written yet') +
              '. Start a new run (--out) with a smaller --eta or --lr.',
          );
          break;
        case 'interrupted':
          print(
            `${label}: stopped by ${e.signal} at iteration ${e.iteration}; ` +
              (e.saved
                ? `checkpoint written (${e.checkpoint})`
                : e.checkpoint
                  ? `no iteration since the last checkpoint (${e.checkpoint})`
                  : 'nothing was trained yet') +
              (e.checkpoint ? '; run the same command again to resume' : ''),
          );
          break;
        case 'done':
          if (bar) bar.stop();
          bar = null;
          run = null;
          setupSince = null;
          stopTimer();
          if (e.alreadyComplete) {
            stream.write(`${label}: already complete (${e.iteration} iterations); nothing to train\n`);
            break;
          }
          stream.write(
            `${label}: done, ${e.iteration} iterations in ${formatDuration(e.seconds)}; ` +
              `peak memory ${e.memory.peakRssMb.toFixed(0)} MiB (engine tensors ${e.memory.engineMb.toFixed(1)} MiB in ${e.memory.tensors})\n`,
          );
          break;
        default:
          break;
      }
    },
    stop() {
      if (bar) bar.stop();
      bar = null;
      run = null;
      setupSince = null;
      stopTimer();
    },
  };
}
