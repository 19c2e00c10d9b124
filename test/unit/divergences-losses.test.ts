import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../src/engine/index.js';
import { DIVERGENCES, getDivergence } from '../../src/divergences/index.js';
import { LOSSES, getLoss, pairingProblem } from '../../src/losses/index.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('f and f′ of each divergence at hand-computed points', () => {
  // f(1) = 0 for every f-divergence
  for (const d of DIVERGENCES) close(getDivergence(d).f(1), 0);
  // Pearson χ²: f(r) = (r−1)², f′ = 2r
  close(getDivergence('chi2').f(3), 4);
  close(getDivergence('chi2').fPrime(3), 6);
  // KL: f(r) = r log r, f′ = log r (constant dropped)
  close(getDivergence('kl').f(Math.E), Math.E);
  close(getDivergence('kl').fPrime(Math.E), 1);
  // JS: f′ = log(r/(1+r)): r = 1 → −log 2, r = 3 → log(3/4)
  close(getDivergence('js').fPrime(1), -Math.log(2));
  close(getDivergence('js').fPrime(3), Math.log(0.75));
  // logD: f′ = log(1+r): r = 1 → log 2, r = 3 → log 4
  close(getDivergence('logd').fPrime(1), Math.log(2));
  close(getDivergence('logd').fPrime(3), Math.log(4));
});

test('f′ as a function of the net output matches f′(r) for r and log r outputs', async () => {
  await initEngine('cpu');
  const rs = [0.05, 0.5, 1, 2, 7];
  for (const name of DIVERGENCES) {
    const d = getDivergence(name);
    for (const output of d.outputs) {
      const outs = rs.map((r) => (output === 'ratio' ? r : Math.log(r)));
      const got = tf.tidy(() => d.fPrimeOfOutput(tf.tensor1d(outs), output).dataSync());
      rs.forEach((r, i) => close(got[i], d.fPrime(r), 1e-5));
    }
  }
});

test('fPrimeSlope is the derivative of fPrimeOfOutput (central differences in float64)', async () => {
  await initEngine('cpu');
  const outs = [-3, -0.7, 0, 0.4, 2.5];
  for (const name of DIVERGENCES) {
    const d = getDivergence(name);
    for (const output of d.outputs) {
      const slope = tf.tidy(() => d.fPrimeSlope(tf.tensor1d(outs), output).dataSync());
      outs.forEach((o, i) => {
        if (output === 'ratio' && o <= 0 && name !== 'chi2') return;
        const h = 1e-3;
        const fp = (v: number) => tf.tidy(() => d.fPrimeOfOutput(tf.tensor1d([v]), output).dataSync()[0]);
        const fd = (fp(o + h) - fp(o - h)) / (2 * h);
        assert.ok(Math.abs(slope[i] - fd) <= 2e-3 * Math.max(1, Math.abs(fd)), `${name}/${output} at ${o}: ${slope[i]} vs ${fd}`);
      });
    }
  }
});

test('each Bregman loss at hand-computed values, tensor and scalar forms agree', async () => {
  await initEngine('cpu');
  const nu = [0.5, 2];
  const de = [1, 3];
  // LSIF: mean(½ r(x)²) − mean(r(x̃)) = (0.5 + 4.5)/2 − 1.25 = 1.25
  close(getLoss('lsif').computeScalar(nu, de), 1.25);
  // LR: mean softplus(s(x)) + mean softplus(−s(x̃)) with s = 0 everywhere → 2 log 2
  close(getLoss('lr').computeScalar([0, 0], [0, 0]), 2 * Math.log(2));
  // KL (KLIEP form): mean exp(s(x)) − mean s(x̃) = (e + e³)/2 − 1.25
  close(getLoss('kl').computeScalar(nu, de), (Math.E + Math.exp(3)) / 2 - 1.25);
  for (const l of LOSSES) {
    const loss = getLoss(l);
    const t = tf.tidy(() => loss.compute(tf.tensor2d(nu, [2, 1]), tf.tensor2d(de, [2, 1])).dataSync()[0]);
    close(t, loss.computeScalar(nu, de), 1e-5);
  }
});

test('the LR loss is minimised by the true log-ratio (its gradient vanishes there)', () => {
  // For two point masses with q-weight a and p-weight b at one point, the minimiser is s = log(a/b).
  const lr = getLoss('lr');
  const a = 0.7;
  const b = 0.2;
  // a·softplus(−s) + b·softplus(s) is the LR loss with particle weight a and data weight b
  const obj = (s: number) => a * lr.computeScalar([s], [-Infinity]) + b * lr.computeScalar([Infinity], [s]);
  const sStar = Math.log(a / b);
  const h = 1e-5;
  assert.ok(Math.abs((obj(sStar + h) - obj(sStar - h)) / (2 * h)) < 1e-6);
  assert.ok(obj(sStar) < obj(sStar + 0.1) && obj(sStar) < obj(sStar - 0.1));
});

test('pairings: LSIF only with χ²; log-ratio losses with every divergence', () => {
  assert.equal(pairingProblem('lsif', 'chi2'), null);
  for (const d of ['kl', 'js', 'logd'] as const) {
    const msg = pairingProblem('lsif', d);
    assert.ok(msg && msg.includes(`'${d}'`) && msg.includes('--loss'), String(msg));
  }
  for (const l of ['lr', 'kl'] as const) for (const d of DIVERGENCES) assert.equal(pairingProblem(l, d), null);
});
