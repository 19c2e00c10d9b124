/**
 * Finite blow-ups: a loss or gradient norm that jumps far above its recent values means the
 * net or the flow diverged (e.g. far too large a learning rate), even while every number is
 * still finite. Each iteration's |loss| and gradient norm are compared with the medians of the
 * last `window` iterations; FACTOR times above either stops training before the update.
 */

/** How far above its running median a value must jump to count as an explosion. */
export const EXPLOSION_FACTOR = 1e6;
/** Iterations in the running median. */
export const EXPLOSION_WINDOW = 100;
/**
 * Medians below these count as these (a loss near its floor, a vanishing gradient): 10⁶ times
 * a value at rounding level is no sign of divergence.
 */
const FLOOR = { loss: 1e-3, gradNorm: 1e-6 };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (v: number): string => v.toExponential(2);

export class ExplosionWatch {
  private readonly history = { loss: [] as number[], gradNorm: [] as number[] };

  constructor(
    readonly factor = EXPLOSION_FACTOR,
    readonly window = EXPLOSION_WINDOW,
  ) {}

  /**
   * Checks one iteration's values against the running medians (of earlier iterations) and
   * records them when they pass. Returns null, or a sentence saying what exploded.
   */
  check(loss: number, gradNorm: number): string | null {
    const values = { loss: Math.abs(loss), gradNorm };
    for (const key of ['loss', 'gradNorm'] as const) {
      const h = this.history[key];
      if (h.length === 0) continue;
      const ref = Math.max(median(h), FLOOR[key]);
      if (values[key] > this.factor * ref) {
        const name = key === 'loss' ? 'the loss' : 'the gradient norm';
        const shown = key === 'loss' ? loss : gradNorm;
        return `${name} jumped to ${fmt(shown)}, ${fmt(values[key] / ref)}× its running median ${fmt(ref)} (more than ${fmt(this.factor)}×)`;
      }
    }
    for (const key of ['loss', 'gradNorm'] as const) {
      this.history[key].push(values[key]);
      if (this.history[key].length > this.window) this.history[key].shift();
    }
    return null;
  }
}
