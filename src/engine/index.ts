export { tf } from './tf.js';
export type { Tensor, Tensor2D, Tensor4D, Variable } from './tf.js';
export { initEngine, activeBackend, nodeBackendAvailable, webgpuAdapterName, BACKENDS, EngineError } from './backend.js';
export type { BackendChoice, BackendName, EngineOptions } from './backend.js';
export { flowThreads } from './threads.js';
export { engineInfo } from './info.js';
export { readAndDispose } from './read.js';
export type { EngineInfo } from './info.js';
