/** Exponential moving average of a net's weights (the weights used for sampling). */
import { tf, type Variable } from '../engine/index.js';
import type { ParamList } from './params.js';

export class Ema {
  readonly params: ParamList;

  constructor(
    source: ParamList,
    readonly decay: number,
  ) {
    this.params = source.map(({ name, variable }) => ({
      name: name.replace(/^[^/]+/, 'ema'),
      variable: tf.tidy(() => tf.variable(variable.clone(), false)),
    }));
  }

  /** ema ← decay·ema + (1 − decay)·w */
  update(source: ParamList): void {
    tf.tidy(() => {
      this.params.forEach(({ variable }, i) => {
        const w = source[i].variable;
        variable.assign(tf.add(tf.mul(variable, this.decay), tf.mul(w, 1 - this.decay)));
      });
    });
  }

  get variables(): Variable[] {
    return this.params.map((p) => p.variable);
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}
