/**
 * Spectral normalisation (Miyato et al., 2018) of a weight tensor: W / σ(W), where σ(W) is the
 * largest singular value of W seen as a [fan-in, fan-out] matrix (a conv kernel
 * [kh, kw, cin, cout] as [kh·kw·cin, cout]). For dense layers this bounds the layer's Lipschitz
 * constant by 1; for a convolution it bounds it only up to a factor of the kernel's overlap
 * (the reshaped kernel's σ is not the convolution's operator norm), as in the paper. Either way
 * it keeps a ratio estimator from growing the steep, narrow features that particles overshoot into.
 *
 * σ comes from power iteration, without state between calls (so checkpoints, EMA weights and
 * worker threads need nothing new): each call squares the normalised Gram matrix WᵀW
 * (fan-out × fan-out, small) `squarings` times, i.e. 2^squarings power-iteration rounds for a
 * few small matMuls, and applies it to a fixed start vector: v ≈ the top right singular vector.
 * v carries no gradient (as in the paper); σ = ‖Wv‖ does, so ∂σ/∂W = u vᵀ.
 */
import { tf, type Tensor, type Tensor2D } from '../engine/index.js';

/** Squarings of the Gram matrix: 2^8 = 256 power rounds; σ within 1% and ∂σ/∂W converged even for random kernels (tested). */
export const SPECTRAL_NORM_SQUARINGS = 8;

/** A fixed, well-spread start vector (never orthogonal to a singular vector in practice). */
function startVector(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + 0.5 * Math.sin(12.9898 * (i + 1));
  return v;
}

/** The top right singular vector of m [rows, cols] as [cols, 1], cut off from the gradient tape. */
const topRightSingularVector = (squarings: number) =>
  tf.customGrad((...args: unknown[]) => {
    const m = args[0] as Tensor2D;
    const cols = m.shape[1];
    let g: Tensor2D = tf.matMul(m, m, true, false);
    for (let k = 0; k < squarings; k++) {
      const g2 = tf.matMul(g, g);
      g = tf.div(g2, tf.add(tf.max(tf.abs(g2)), 1e-30)) as Tensor2D;
    }
    const v = tf.matMul(g, tf.tensor2d(startVector(cols), [cols, 1]));
    return { value: tf.div(v, tf.add(tf.norm(v), 1e-30)), gradFunc: () => tf.zerosLike(m) };
  });

/** σ(W): the largest singular value of W as a [fan-in, fan-out] matrix (differentiable in W). */
export function spectralNorm(w: Tensor, squarings = SPECTRAL_NORM_SQUARINGS): Tensor {
  return tf.tidy(() => {
    const m = tf.reshape(w, [-1, w.shape[w.shape.length - 1]]) as Tensor2D;
    const v = topRightSingularVector(squarings)(m) as Tensor2D;
    return tf.norm(tf.matMul(m, v));
  });
}

/** W / σ(W). */
export function spectralNormalize(w: Tensor, squarings = SPECTRAL_NORM_SQUARINGS): Tensor {
  return tf.tidy(() => tf.div(w, spectralNorm(w, squarings)));
}
