/**
 * The one import of TensorFlow.js core in the code base: every other module takes `tf` from
 * here. Also loads the CPU reference backend, and `@tensorflow/tfjs-layers` for its side
 * effect: it registers every op's gradient (the core package's Node bundle ships none). The
 * `@tensorflow/tfjs` umbrella is not used (its converter, data and webgl parts are not needed
 * in Node; the browser engine loads webgl itself, ./browser.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor2D = tf.Tensor2D;
export type Tensor3D = tf.Tensor3D;
export type Tensor4D = tf.Tensor4D;
export type Variable = tf.Variable;
