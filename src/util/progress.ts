/**
 * Progress of a long phase (sampling, features, FID/KID, test accuracy, decoding), as the
 * library reports it to a caller that shows it: the CLI draws a bar on a terminal and prints
 * lines in a pipe (src/cli/phase-progress.ts). The library only calls the function; it never
 * writes to a stream. A phase starts with done = 0 and ends with done = total.
 */
export interface ProgressUpdate {
  /** What is being done, in words ("flowing samples", "FID/KID features"). */
  phase: string;
  done: number;
  total: number;
  /** What is counted ("images", "points", "steps"). */
  unit: string;
}

export type OnProgress = (p: ProgressUpdate) => void;

/**
 * A counter for one phase: `tick(k)` adds k units done and reports; nothing happens without
 * `onProgress`. Reports done = 0 at once, so the caller can show the phase before its first unit.
 */
export function phaseCounter(onProgress: OnProgress | undefined, phase: string, total: number, unit: string): { tick(k?: number): void; set(done: number): void } {
  let done = 0;
  onProgress?.({ phase, done, total, unit });
  return {
    tick(k = 1) {
      done += k;
      onProgress?.({ phase, done, total, unit });
    },
    set(d: number) {
      done = d;
      onProgress?.({ phase, done, total, unit });
    },
  };
}
