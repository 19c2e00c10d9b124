import { test } from 'node:test';
import assert from 'node:assert/strict';
import { qualitySummary } from '../../src/report/summary.js';
import type { RunEvaluation } from '../../src/report/evaluate-run.js';

/** An evaluation with MMD ratio `ratio`, `off` of the samples off the support and these part shares. */
function evaluation(ratio: number, off: number | null, shares: number[] = [0.5, 0.5]): RunEvaluation {
  const data = shares.map(() => 1 / shares.length);
  return {
    n: 2000,
    sets: 10,
    mmd: 0.01 * ratio,
    energy: 0,
    sliced_w: 0,
    reference: { mmd: 0.01, energy: 0, sliced_w: 0 },
    bandwidths: [1],
    ...(off === null
      ? {}
      : {
          support: {
            part_kind: 'ring',
            n: 10000,
            threshold: 0.1,
            off_support: off,
            data_off_support: 0.003,
            shares,
            data_shares: data,
            worst_share_error: Math.max(...shares.map((s, i) => Math.abs(s / data[i] - 1))),
          },
        }),
  };
}

test('the summary line gives the MMD ratio with the off-support share and the mass balance, each with what it means', () => {
  const good = qualitySummary(evaluation(1.1, 0.01));
  assert.match(good, /^MMD 1\.10× that of fresh data \(about as close as fresh data\)/);
  assert.match(good, /1\.0% of samples off the support \(data 0\.3%: the samples keep to it\)/);
  assert.match(good, /every ring within 0\.0% of its share in the data \(mass split as in the data\)/);
  // MMD fine, but 7% of the samples between the parts and one ring with too much mass: the line says so
  const smeared = qualitySummary(evaluation(1.1, 0.07, [0.65, 0.35]));
  assert.match(smeared, /about as close as fresh data/);
  assert.match(smeared, /7\.0% of samples off the support \(data 0\.3%: mass is smeared between or around the parts\)/);
  assert.match(smeared, /ring 1 holds 65% against 50% in the data \(mass split unevenly\)/);
  assert.match(qualitySummary(evaluation(1.6, 0.01)), /close, but distinguishable from fresh data/);
  assert.match(qualitySummary(evaluation(3.7, 0.01)), /clearly unlike the data/);
  // without a known support (a user's CSV) the line says that the support could not be checked
  assert.match(qualitySummary(evaluation(1.0, null)), /no known support to check off-support mass against/);
  // … unless the far-from-data share was measured: then it stands where the off-support share would
  const far = (share: number) => qualitySummary({ ...evaluation(1.0, null), far_from_data: { share, threshold: 0.2, quantile: 0.99, samples: 10000, reference: 5000, heldOut: 5000 } });
  assert.match(far(0.012), /1\.2% of samples far from every data point \(farther than all but 1\.0% of held-out data points are: no more strays than fresh data\)/);
  assert.match(far(0.09), /9\.0% of samples far from every data point .*: mass is smeared around or between the data\)/);
  assert.doesNotMatch(far(0.09), /no known support/);
});
