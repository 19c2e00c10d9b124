/**
 * Progress of the CLI's long phases (the report's flows and FID/KID, eval, test accuracy,
 * sampling, translation, decoding), shown the same way for every command: a bar per phase on
 * a terminal (phase, count, rate, ETA), and in a pipe or file a line at least every
 * `intervalMs` (DGGF_PROGRESS_INTERVAL seconds, default 3) while a phase runs, and one line
 * when it ends. Lines are time-based: an update prints when the interval has passed since the
 * last line, and a timer repeats the current state when no update comes (a flow on the
 * engine's threads); a phase that computes synchronously reports often enough itself.
 */
import cliProgress from 'cli-progress';
import type { OnProgress, ProgressUpdate } from '../util/progress.js';

/** Seconds as 7s, 1m05s, 3h05m or 1006d10h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  if (h >= 48) return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
  if (h > 0) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Default pipe interval; DGGF_PROGRESS_INTERVAL (seconds) overrides it. */
export const DEFAULT_INTERVAL_MS = 3000;

/** The pipe interval in ms: DGGF_PROGRESS_INTERVAL seconds when it is a number > 0, else the default. */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.DGGF_PROGRESS_INTERVAL);
  return env.DGGF_PROGRESS_INTERVAL !== undefined && v > 0 && Number.isFinite(v) ? v * 1000 : DEFAULT_INTERVAL_MS;
}

/** A bar for a terminal, lines for a pipe, a file or CI. */
export function isLiveTerminal(stream: NodeJS.WritableStream): boolean {
  return Boolean((stream as NodeJS.WriteStream).isTTY) && process.env.CI !== 'true';
}

function fmtRate(r: number): string {
  return r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2);
}

export interface PhaseProgressOptions {
  /** Draw a bar (default: the stream is a terminal and CI is not set). */
  tty?: boolean;
  /** Pipe: the longest time between lines while a phase runs (default progressIntervalMs()). */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface PhaseProgress {
  /** Feed it the library's updates (a new phase name ends the phase before). */
  onProgress: OnProgress;
  /** A message line (the bar, if any, is finished first). */
  line(text: string): void;
  /** Ends the current phase (its final line). */
  end(): void;
  /** Ends the current phase and stops the timer. */
  stop(): void;
}

interface Current extends ProgressUpdate {
  started: number;
  /** Lines printed for it in a pipe. */
  lines: number;
}

/** The reporter of `label`'s phases on `stream` (stderr by default). */
export function createPhaseProgress(label: string, stream: NodeJS.WritableStream = process.stderr, opts: PhaseProgressOptions = {}): PhaseProgress {
  const tty = opts.tty ?? isLiveTerminal(stream);
  const interval = opts.intervalMs ?? progressIntervalMs();
  const now = opts.now ?? (() => performance.now());
  let cur: Current | null = null;
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = now();
  let timer: ReturnType<typeof setInterval> | null = null;

  const write = (s: string): void => {
    stream.write(s + '\n');
    lastLine = now();
  };
  const stats = (c: Current): { rate: number; eta: number; elapsed: number } => {
    const elapsed = (now() - c.started) / 1000;
    const rate = c.done / Math.max(elapsed, 1e-9);
    return { rate, eta: c.done > 0 ? (c.total - c.done) / rate : NaN, elapsed };
  };
  const stateLine = (c: Current): string => {
    const { rate, eta, elapsed } = stats(c);
    const pct = c.total > 0 ? ` (${Math.floor((100 * c.done) / c.total)}%)` : '';
    const speed = c.done > 0 ? `${fmtRate(rate)} ${c.unit}/s, ETA ${formatDuration(eta)}` : `${formatDuration(elapsed)} so far`;
    return `${label}: ${c.phase} ${c.done}/${c.total} ${c.unit}${pct}, ${speed}`;
  };
  const barValues = (c: Current): Record<string, string> => {
    const { rate, eta } = stats(c);
    return { phase: c.phase, unit: c.unit, rate: c.done > 0 ? fmtRate(rate) : '—', etaText: formatDuration(eta) };
  };
  const beat = (): void => {
    if (cur && !tty && now() - lastLine >= interval) {
      cur.lines++;
      write(stateLine(cur));
    }
  };
  const startTimer = (): void => {
    if (timer || tty) return;
    timer = setInterval(beat, Math.max(50, Math.min(1000, interval / 3)));
    timer.unref?.();
  };
  const stopBar = (): void => {
    if (bar) bar.stop();
    bar = null;
  };
  const end = (): void => {
    if (!cur) return;
    const c = cur;
    cur = null;
    if (tty) {
      if (bar) {
        bar.update(c.done, barValues(c));
        stopBar();
      }
      return;
    }
    const seconds = (now() - c.started) / 1000;
    // a phase that printed no line while it ran (shorter than the interval) needs none at its end
    if (c.lines > 0) write(`${label}: ${c.phase}: ${c.done === c.total ? '' : `${c.done} of `}${c.total} ${c.unit} in ${formatDuration(seconds)}`);
  };

  const makeBar = (c: Current): void => {
    bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: `${label}: {phase} {bar} {value}/{total} {unit} | {rate} {unit}/s | ETA {etaText}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        // a bar on the stream given, also when it is not a real terminal (tests)
        noTTYOutput: true,
        notTTYSchedule: 1000,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(c.total, c.done, barValues(c));
  };

  return {
    onProgress(p) {
      if (cur && cur.phase !== p.phase) end();
      if (!cur) {
        cur = { ...p, started: now(), lines: 0 };
        if (tty) {
          makeBar(cur);
        } else {
          startTimer();
          // the phase is named at once when it starts after a silence
          if (now() - lastLine >= interval) {
            cur.lines++;
            write(stateLine(cur));
          }
        }
        return;
      }
      cur.done = p.done;
      cur.total = p.total;
      if (tty) {
        // a message line finished the bar: a new one goes on below it
        if (!bar) makeBar(cur);
        else bar.update(p.done, barValues(cur));
      } else beat();
    },
    line(text) {
      stopBar();
      write(text);
    },
    end,
    stop() {
      end();
      stopBar();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
