/**
 * wasm's BatchMatMul takes a naive loop whenever transposeA or transposeB is set, which is
 * every backward pass of a dense layer (10–60x slower than its plain path). This replacement
 * transposes explicitly with the backend's fast Transpose kernel and then calls the original
 * plain BatchMatMul. Registered for one backend by `installBatchMatMulTransposed`.
 */
import { tf } from '../tf.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type AnyTensorInfo = tf.TensorInfo;

export function installBatchMatMulTransposed(backendName: string): void {
  const original = tf.getKernel('BatchMatMul', backendName);
  const transpose = tf.getKernel('Transpose', backendName);
  if (!original || !transpose) return;
  if ((original as { dggf?: boolean }).dggf) return; // already installed
  const plain = original.kernelFunc;
  const transposeFn = transpose.kernelFunc;

  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    let { a, b } = inputs as { a: AnyTensorInfo; b: AnyTensorInfo };
    if (!transposeA && !transposeB) return plain({ inputs, backend, attrs });
    const temporaries: AnyTensorInfo[] = [];
    const swapLast = (t: AnyTensorInfo): AnyTensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      perm[rank - 1] = rank - 2;
      perm[rank - 2] = rank - 1;
      const out = transposeFn({ inputs: { x: t }, backend, attrs: { perm } }) as AnyTensorInfo;
      temporaries.push(out);
      return out;
    };
    if (transposeA) a = swapLast(a);
    if (transposeB) b = swapLast(b);
    const out = plain({
      inputs: { a, b },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    const disposer = backend as unknown as { disposeData(id: object): void };
    for (const t of temporaries) disposer.disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', backendName);
  const config = { ...original, kernelFunc, dggf: true } as tf.KernelConfig;
  tf.registerKernel(config);
}
