export { tf } from './tf.js';
export type { Tensor, Tensor2D, Variable } from './tf.js';
export { initEngine, activeBackend, nodeBackendAvailable, BACKENDS, EngineError } from './backend.js';
export type { BackendChoice, BackendName } from './backend.js';
export { engineInfo } from './info.js';
export type { EngineInfo } from './info.js';
