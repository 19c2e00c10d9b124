/**
 * Paired checks of an image-to-image translation, for domains whose images are named by a
 * code (the same emoji in two styles): each held-out source image is paired with the target
 * image of the same code, and a translation should land nearer to that pair than its input
 * was, while staying nearer to its own pair than to the other emoji's pairs.
 *
 * All images are flat row-major arrays of `per` values each (any scale; the emoji evals use
 * [−1, 1]). Distances are per-value RMSE.
 */

/** Indices into the source and target lists of every code present in both (in source order). */
export interface CodePairs {
  source: number[];
  target: number[];
  /** Source codes with no target image of the same code. */
  unpaired: string[];
}

/** Pairs source and target images by code; a code repeated within one list is an error. */
export function pairByCode(sourceCodes: readonly string[], targetCodes: readonly string[]): CodePairs {
  const at = new Map<string, number>();
  targetCodes.forEach((c, j) => {
    if (at.has(c)) throw new RangeError(`pairByCode: target code ${c} appears twice (positions ${at.get(c)} and ${j}), expected one image per code`);
    at.set(c, j);
  });
  const seen = new Set<string>();
  const out: CodePairs = { source: [], target: [], unpaired: [] };
  sourceCodes.forEach((c, i) => {
    if (seen.has(c)) throw new RangeError(`pairByCode: source code ${c} appears twice, expected one image per code`);
    seen.add(c);
    const j = at.get(c);
    if (j === undefined) out.unpaired.push(c);
    else {
      out.source.push(i);
      out.target.push(j);
    }
  });
  return out;
}

/** Root mean square difference between image i of `a` and image j of `b` (per values each). */
export function imageRmse(a: Float32Array, i: number, b: Float32Array, j: number, per: number): number {
  let s = 0;
  const oa = i * per;
  const ob = j * per;
  for (let k = 0; k < per; k++) {
    const d = a[oa + k] - b[ob + k];
    s += d * d;
  }
  return Math.sqrt(s / per);
}

export interface PairedTranslationFigures {
  n: number;
  /** Mean RMSE from each input to its pair. */
  inputRmse: number;
  /** Mean RMSE from each output to its pair. */
  outputRmse: number;
  /** 1 − outputRmse / inputRmse: how much nearer the outputs are, as a share. */
  rmseGain: number;
  /** Share of outputs nearer to their pair than their input was. */
  closerShare: number;
  /**
   * Over all outputs i and all other held-out emoji j ≠ i: the share of comparisons in which
   * output i is nearer (RMSE) to its own pair than to j's pair.
   */
  ownPairShare: number;
  /** The same for the inputs themselves (what the untranslated images score). */
  inputOwnPairShare: number;
  /** Stricter: share of outputs nearer to their own pair than to every other pair (rank 1 of n). */
  nearestPairShare: number;
  inputNearestPairShare: number;
}

/**
 * Paired figures of n translations: `inputs[i]` and `outputs[i]` (source space) belong with
 * `pairs[i]` (the target image of the same code).
 */
export function pairedTranslationFigures(inputs: Float32Array, outputs: Float32Array, pairs: Float32Array, n: number, per: number): PairedTranslationFigures {
  for (const [name, a] of [['inputs', inputs], ['outputs', outputs], ['pairs', pairs]] as const) {
    if (a.length !== n * per) throw new RangeError(`pairedTranslationFigures: ${name} has ${a.length} values, expected ${n} images of ${per}`);
  }
  if (n < 2) throw new RangeError(`pairedTranslationFigures: ${n} image(s), expected at least 2 (the nearest-pair check compares emoji)`);
  let inSum = 0;
  let outSum = 0;
  let closer = 0;
  for (let i = 0; i < n; i++) {
    const dIn = imageRmse(inputs, i, pairs, i, per);
    const dOut = imageRmse(outputs, i, pairs, i, per);
    inSum += dIn;
    outSum += dOut;
    if (dOut < dIn) closer++;
  }
  const inputRmse = inSum / n;
  const outputRmse = outSum / n;
  return {
    n,
    inputRmse,
    outputRmse,
    rmseGain: 1 - outputRmse / inputRmse,
    closerShare: closer / n,
    ...ownPairShares(outputs, pairs, n, per, 'ownPairShare', 'nearestPairShare'),
    ...ownPairShares(inputs, pairs, n, per, 'inputOwnPairShare', 'inputNearestPairShare'),
  };
}

/**
 * For images x[i] and their pairs[i]: the share of (i, j ≠ i) with x[i] strictly nearer to
 * pairs[i] than to pairs[j] (`pairwise`), and the share of i nearer to pairs[i] than to every
 * pairs[j] (`nearest`). Ties count as misses.
 */
export function ownPairShare(x: Float32Array, pairs: Float32Array, n: number, per: number): { pairwise: number; nearest: number } {
  let wins = 0;
  let nearest = 0;
  for (let i = 0; i < n; i++) {
    const own = imageRmse(x, i, pairs, i, per);
    let lost = 0;
    for (let j = 0; j < n; j++) if (j !== i && imageRmse(x, i, pairs, j, per) <= own) lost++;
    wins += n - 1 - lost;
    if (lost === 0) nearest++;
  }
  return { pairwise: wins / (n * (n - 1)), nearest: nearest / n };
}

function ownPairShares<A extends string, B extends string>(x: Float32Array, pairs: Float32Array, n: number, per: number, a: A, b: B): Record<A | B, number> {
  const s = ownPairShare(x, pairs, n, per);
  return { [a]: s.pairwise, [b]: s.nearest } as Record<A | B, number>;
}

/** What a translator given the pairing would reach: a scale for the paired figures of an unpaired one. */
export interface PairedBaselines {
  /** For each input, the target image paired with its nearest training source image (RMSE). */
  nearest: Float32Array;
  /** For each input, the mean of the target images paired with its k nearest training source images. */
  meanOfNearest: Float32Array;
  k: number;
  /** Share of the inputs with a training source image within `duplicateRmse` (a duplicate: e.g. a skin-tone variant's line-art). */
  duplicateShare: number;
}

/**
 * Paired baselines for n inputs from m training pairs (`trainSources[j]` ↔ `trainTargets[j]`):
 * nearest-neighbour retrieval in the source domain, the pair of the nearest one and the mean
 * pair of the k nearest. They use the pairing an unpaired translation never sees, so they tell
 * what a paired RMSE gain of a given size means on these data (ties keep the lower index).
 */
export function pairedBaselines(
  inputs: Float32Array,
  n: number,
  trainSources: Float32Array,
  trainTargets: Float32Array,
  m: number,
  per: number,
  opts: { k?: number; duplicateRmse?: number } = {},
): PairedBaselines {
  const k = Math.min(opts.k ?? 5, m);
  if (inputs.length !== n * per || trainSources.length !== m * per || trainTargets.length !== m * per) {
    throw new RangeError(`pairedBaselines: ${inputs.length} / ${trainSources.length} / ${trainTargets.length} values, expected ${n} / ${m} / ${m} images of ${per}`);
  }
  if (k < 1) throw new RangeError(`pairedBaselines: no training pairs (m ${m}) or k ${opts.k} < 1`);
  const nearest = new Float32Array(n * per);
  const meanOfNearest = new Float32Array(n * per);
  const dist = new Float64Array(m);
  const order = new Int32Array(m);
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      dist[j] = imageRmse(inputs, i, trainSources, j, per);
      order[j] = j;
    }
    const best = Array.from(order).sort((a, b) => dist[a] - dist[b] || a - b).slice(0, k);
    if (dist[best[0]] <= (opts.duplicateRmse ?? 0)) duplicates++;
    nearest.set(trainTargets.subarray(best[0] * per, (best[0] + 1) * per), i * per);
    for (const j of best) for (let v = 0; v < per; v++) meanOfNearest[i * per + v] += trainTargets[j * per + v] / k;
  }
  return { nearest, meanOfNearest, k, duplicateShare: duplicates / n };
}

/**
 * Unpaired baselines for n inputs from m training TARGET images: each input replaced by its
 * nearest target image (RMSE) and by the mean of its k nearest. They use no pairing, as an
 * unpaired translator: what a translator that only lands on (or between) real target images
 * near its input reaches. The mean of k is a blur, not a translation, yet RMSE rewards it.
 */
export function unpairedBaselines(inputs: Float32Array, n: number, trainTargets: Float32Array, m: number, per: number, opts: { k?: number } = {}): Omit<PairedBaselines, 'duplicateShare'> {
  // retrieval among the target images themselves: every image is its own "pair"
  const { nearest, meanOfNearest, k } = pairedBaselines(inputs, n, trainTargets, trainTargets, m, per, opts);
  return { nearest, meanOfNearest, k };
}

/** Mean absolute change per value from inputs to outputs. */
export function meanAbsChange(inputs: Float32Array, outputs: Float32Array): number {
  if (inputs.length !== outputs.length) throw new RangeError(`meanAbsChange: ${inputs.length} and ${outputs.length} values`);
  let s = 0;
  for (let i = 0; i < inputs.length; i++) s += Math.abs(outputs[i] - inputs[i]);
  return s / Math.max(1, inputs.length);
}

/**
 * Separable Gaussian blur of n HWC images (height × width × channels values each), per channel,
 * radius ⌈3σ⌉, edges clamped. Judging blurred outputs tells whether a style verdict rests on
 * fine texture only.
 */
export function gaussianBlur(x: Float32Array, n: number, shape: { height: number; width: number; channels: number }, sigma = 1): Float32Array {
  const { height: H, width: W, channels: C } = shape;
  if (x.length !== n * H * W * C) throw new RangeError(`gaussianBlur: ${x.length} values, expected ${n} images of ${H}×${W}×${C}`);
  if (!(sigma > 0)) throw new RangeError(`gaussianBlur: sigma is ${sigma}, expected > 0`);
  const r = Math.ceil(3 * sigma);
  const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = w.reduce((a, b) => a + b, 0);
  const k = w.map((v) => v / total);
  const clampI = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++)
          for (let c = 0; c < C; c++) {
            let a = 0;
            for (let d = -r; d <= r; d++) {
              const yy = horizontal ? y : clampI(y + d, H - 1);
              const xs = horizontal ? clampI(xx + d, W - 1) : xx;
              a += k[d + r] * src[((i * H + yy) * W + xs) * C + c];
            }
            out[((i * H + y) * W + xx) * C + c] = a;
          }
    return out;
  };
  return pass(pass(x, true), false);
}
