/**
 * Reverse-mode differentiation of a graph under construction: each differentiable op
 * (./ops.ts) records its inputs, outputs and a vector–Jacobian product that emits the backward
 * nodes; `gradients` walks the records backwards from the outputs and emits, into the graph,
 * only the backward nodes on a path between the requested inputs and the outputs. First order
 * only: backward nodes are not recorded.
 */
import type { Value } from './graph.js';

/**
 * Given the gradients w.r.t. an op's outputs (null: none flows there), those w.r.t. its inputs;
 * `needed[i]` says whether input i's gradient is wanted (an op emits nothing for the others).
 */
export type Vjp = (outputGrads: (Value | null)[], needed: boolean[]) => (Value | null)[];

interface Entry {
  inputs: Value[];
  outputs: Value[];
  vjp: Vjp;
}

export class Tape {
  private readonly entries: Entry[] = [];

  record(inputs: Value[], outputs: Value[], vjp: Vjp): void {
    this.entries.push({ inputs, outputs, vjp });
  }

  /**
   * The gradients of Σᵢ ⟨seedᵢ, yᵢ⟩ w.r.t. each of `wrt` (null where no path connects them).
   * `add` sums two contributions to one gradient (it emits an Add node).
   */
  gradients(ys: Value[], seeds: Value[], wrt: Value[], add: (a: Value, b: Value) => Value): (Value | null)[] {
    if (ys.length !== seeds.length) throw new Error('gradients: one seed per output');
    // values that depend on wrt (forward), then records that lead to ys (backward)
    const dependent = new Set(wrt.map((v) => v.name));
    for (const e of this.entries) {
      if (e.inputs.some((v) => dependent.has(v.name))) for (const o of e.outputs) dependent.add(o.name);
    }
    const leadsToOutput = new Set(ys.map((v) => v.name));
    const relevant: Entry[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (!e.outputs.some((o) => leadsToOutput.has(o.name))) continue;
      if (!e.inputs.some((v) => dependent.has(v.name))) continue;
      relevant.push(e);
      for (const v of e.inputs) leadsToOutput.add(v.name);
    }
    const grads = new Map<string, Value>();
    const accumulate = (v: Value, g: Value): void => {
      const prev = grads.get(v.name);
      grads.set(v.name, prev ? add(prev, g) : g);
    };
    ys.forEach((y, i) => accumulate(y, seeds[i]));
    for (const e of relevant) {
      const outGrads = e.outputs.map((o) => grads.get(o.name) ?? null);
      if (outGrads.every((g) => g === null)) continue;
      const inGrads = e.vjp(
        outGrads,
        e.inputs.map((v) => dependent.has(v.name)),
      );
      e.inputs.forEach((v, i) => {
        const g = inGrads[i];
        if (g && dependent.has(v.name)) accumulate(v, g);
      });
    }
    return wrt.map((v) => grads.get(v.name) ?? null);
  }
}
