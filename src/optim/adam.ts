/**
 * Adam (PyTorch's formulation) with plain, serialisable state, so a resumed run continues
 * bit-for-bit: bias corrections are computed from the step count, never accumulated.
 */
import { tf, type Tensor } from '../engine/index.js';
import type { ParamList } from '../nets/params.js';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  step = 0;
  readonly m: ParamList;
  readonly v: ParamList;

  constructor(
    readonly params: ParamList,
    readonly opts: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  ) {
    const zeros = (v: tf.Variable) => tf.tidy(() => tf.variable(tf.zerosLike(v), false));
    this.m = params.map(({ name, variable }) => ({ name: `adam_m/${name}`, variable: zeros(variable) }));
    this.v = params.map(({ name, variable }) => ({ name: `adam_v/${name}`, variable: zeros(variable) }));
  }

  /** One update with learning rate lr from gradients (in the order of `params`). */
  apply(grads: Tensor[], lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps } = this.opts;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      this.params.forEach(({ variable }, i) => {
        const g = grads[i];
        const m = this.m[i].variable;
        const v = this.v[i].variable;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), eps);
        variable.assign(tf.sub(variable, tf.mul(tf.div(m1, denom), stepSize)));
      });
    });
  }

  get state(): ParamList {
    return [...this.m, ...this.v];
  }

  dispose(): void {
    for (const p of this.state) p.variable.dispose();
  }
}
