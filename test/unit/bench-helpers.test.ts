/** Helpers of the quality scripts in bench/ that decide what they report. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingSeconds } from '../../bench/image-eval.js';

test('bench: the training time of a run folder sums its sessions (a resumed run restarts elapsed_s at 0)', () => {
  assert.equal(trainingSeconds([{ elapsed_s: 10 }, { elapsed_s: 20 }, { elapsed_s: 30 }]), 30);
  // stopped after 1,161 s, resumed, 1,090 s more: 2,251 s, not the last line's 1,090
  assert.equal(trainingSeconds([{ elapsed_s: 600 }, { elapsed_s: 1161 }, { elapsed_s: 40 }, { elapsed_s: 1090 }]), 2251);
  assert.equal(trainingSeconds([]), 0);
});
