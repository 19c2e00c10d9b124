/**
 * Training progress for people: a live bar on a terminal (iteration, loss, KL, it/s, ETA),
 * plain log lines (at most about one a second) when output is a pipe or file.
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/run.js';
import type { ClassifierProgress } from '../train/classifier.js';

function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
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

export function createProgress(stream: NodeJS.WriteStream = process.stderr, label = 'train'): ProgressReporter {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let bar: cliProgress.SingleBar | null = null;
  let lastPlain = 0;
  const diagName = { value: 'KL' };
  const print = (s: string): void => {
    if (bar) bar.stop();
    stream.write(s + '\n');
    bar = null;
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'start': {
          for (const f of e.skipped) print(`${label}: skipped unreadable checkpoint ${f.reason}`);
          if (e.resumedFrom !== null) print(`${label}: resuming from iteration ${e.resumedFrom} of ${e.total}`);
          if (tty) {
            bar = new cliProgress.SingleBar(
              {
                stream,
                format: `${label} {bar} {value}/{total} | loss {loss} | {diag} {kl} | {speed} it/s | ETA {etaText}`,
                barsize: 24,
                hideCursor: true,
                clearOnComplete: false,
                fps: 5,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, e.resumedFrom ?? 0, { loss: '—', kl: '—', speed: '—', etaText: '—', diag: diagName.value });
          }
          break;
        }
        case 'warning':
          print(`${label}: warning: ${e.message}`);
          break;
        case 'tick':
          if (bar) bar.update(e.iteration);
          break;
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
            const now = Date.now();
            if (now - lastPlain >= 1000 || e.etaSeconds === 0) {
              lastPlain = now;
              stream.write(
                `${label}: iteration ${s.iteration} loss ${fmt(s.loss)} ${diag} ${fmt(val, 3)} lr ${s.lr.toExponential(1)} ` +
                  `${e.itPerSec.toFixed(1)} it/s ETA ${formatDuration(e.etaSeconds)}\n`,
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
    },
  };
}
