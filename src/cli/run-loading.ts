/**
 * Loading a trained run for a command (sample, eval, translate): the model of its newest
 * intact checkpoint, with one warning line on stderr when newer checkpoints were skipped as
 * unreadable (the output then comes from an older iteration than the run's last).
 */
import { loadRun } from '../train/run.js';
import { skippedCheckpointsNote } from '../train/checkpoint.js';
import type { Run } from '../train/run-folder.js';

export function loadRunSayingSkips(run: Run, opts: { priorOptional?: boolean } = {}): ReturnType<typeof loadRun> {
  const loaded = loadRun(run, opts);
  const note = skippedCheckpointsNote(loaded);
  if (note) process.stderr.write(`dggf: warning: ${note}\n`);
  return loaded;
}
