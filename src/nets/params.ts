/** Named parameter tensors, and their plain-array form for checkpoints. */
import { tf, type Variable } from '../engine/index.js';

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

export type ParamList = { name: string; variable: Variable }[];

export async function readParams(params: ParamList): Promise<NamedArray[]> {
  return Promise.all(
    params.map(async ({ name, variable }) => ({
      name,
      shape: variable.shape.slice(),
      values: (await variable.data()) as Float32Array,
    })),
  );
}

/** Assigns saved arrays to variables, checking names and shapes. */
export function assignParams(params: ParamList, saved: NamedArray[], what: string): void {
  const byName = new Map(saved.map((s) => [s.name, s]));
  for (const { name, variable } of params) {
    const s = byName.get(name);
    if (!s) throw new Error(`${what}: tensor '${name}' is missing`);
    if (s.shape.join('x') !== variable.shape.join('x')) {
      throw new Error(`${what}: tensor '${name}' has shape [${s.shape}], expected [${variable.shape}]`);
    }
    tf.tidy(() => variable.assign(tf.tensor(s.values, variable.shape, 'float32')));
  }
}

export function disposeParams(params: ParamList): void {
  for (const p of params) p.variable.dispose();
}
