/**
 * The activations our nets use, written once for every engine (TensorOps).
 */
import type { TensorOps } from '../engine/tensor-ops.js';

export const ACTIVATIONS = ['leaky_relu', 'silu', 'relu', 'tanh'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The negative slope of LeakyReLU, as in the authors' nets. */
export const LEAKY_SLOPE = 0.2;

export function activation<T>(ops: TensorOps<T>, x: T, act: Activation): T {
  switch (act) {
    case 'leaky_relu':
      return ops.leakyRelu(x, LEAKY_SLOPE);
    case 'relu':
      return ops.leakyRelu(x, 0);
    case 'silu':
      return ops.mul(x, ops.sigmoid(x));
    case 'tanh':
      return ops.tanh(x);
  }
}

/**
 * The slope of act(z) = max(z, slope·z) for the piecewise-linear activations (ReLU 0,
 * LeakyReLU 0.2), which the fused CPU kernels run; null for the smooth ones.
 */
export function reluSlope(act: Activation): number | null {
  return act === 'leaky_relu' ? LEAKY_SLOPE : act === 'relu' ? 0 : null;
}
