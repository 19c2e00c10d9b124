/**
 * TensorFlow.js for the browser entry (src/browser.ts): the parts it uses, never the
 * `@tensorflow/tfjs` umbrella, and nothing Node-only. tfjs-core, its gradients (so tf.grad
 * works on a loaded layers model; the core package registers none itself), tfjs-layers (to
 * load `dggf export --format tfjs` models) and the cpu backend, so there is always a backend.
 * An app may import @tensorflow/tfjs-backend-webgl (or -wasm, -webgpu) itself and call
 * tf.setBackend: the bundler gives it this same tfjs-core.
 *
 * Node gets its TF.js from ./tf.js (the umbrella's Node bundle): this file's deep import of
 * the ES-module gradients would load a second tfjs-core there.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';

export { tf, loadLayersModel };
export type { LayersModel };
