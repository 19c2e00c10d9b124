/**
 * Ctrl-C and friends for long commands: while `work` runs, SIGINT, SIGTERM and SIGHUP abort
 * the signal it is given (the work then stops at a safe point: training writes a checkpoint of
 * the current iteration), whether output goes to a terminal or a pipe. A second signal means
 * "now": `onForce` runs (e.g. to give the terminal its cursor back) and the process exits with
 * 128 + the signal's number at once; files are written atomically, so none is left torn.
 */
import { SIGNAL_EXIT } from './errors.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>, onForce: () => void = () => {}): Promise<T> {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    onForce();
    process.stderr.write(`\nstopped by a second ${signal}, without waiting\n`);
    process.exit(SIGNAL_EXIT[signal] ?? 1);
  };
  for (const s of SIGNALS) process.on(s, handler);
  try {
    return await work(controller.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, handler);
  }
}

/** The exit code for a run stopped by `signal` (the abort reason). */
export function signalExitCode(signal: AbortSignal): number {
  return SIGNAL_EXIT[String(signal.reason)] ?? 130;
}
