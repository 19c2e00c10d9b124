/**
 * AddN in groups for webgpu. The stock kernel binds every input as one storage buffer of a
 * single shader; WebGPU's default limit is 8 storage buffers per stage (inputs + output), so a
 * sum of more than 7 tensors (e.g. the squared norms of a conv net's 8+ parameter gradients)
 * fails pipeline validation on a default device. Here larger sums are added in groups that fit,
 * then the group sums are added, with the stock kernel each time.
 */
import { isOurs, registerOurs, type KernelFunc, type TensorInfo } from './wasm-ops.js';
import { tf } from '../tf.js';

interface DeviceBackendLike {
  device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
  disposeData(dataId: object): void;
}

/** Most inputs one AddN shader takes on `backend`: the stage's storage buffers minus the output. */
export function addNGroupSize(backend: unknown): number {
  const limit = (backend as DeviceBackendLike).device?.limits?.maxStorageBuffersPerShaderStage ?? 8;
  return Math.max(2, limit - 1);
}

export function installAddNGrouped(backendName: string): boolean {
  if (isOurs('AddN', backendName)) return true;
  const original = tf.getKernel('AddN', backendName)?.kernelFunc;
  if (!original) return false;

  const kernelFunc: KernelFunc = (args) => {
    const { backend, attrs } = args;
    let list = args.inputs as unknown as TensorInfo[];
    const group = addNGroupSize(backend);
    if (list.length <= group) return original(args);
    const temporaries: TensorInfo[] = [];
    while (list.length > group) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < list.length; i += group) {
        const part = list.slice(i, i + group);
        if (part.length === 1) {
          next.push(part[0]);
          continue;
        }
        const sum = original({ inputs: part as unknown as tf.NamedTensorInfoMap, backend, attrs }) as TensorInfo;
        temporaries.push(sum);
        next.push(sum);
      }
      list = next;
    }
    const out = original({ inputs: list as unknown as tf.NamedTensorInfoMap, backend, attrs });
    for (const t of temporaries) (backend as unknown as DeviceBackendLike).disposeData(t.dataId);
    return out;
  };
  registerOurs('AddN', backendName, kernelFunc);
  return true;
}
