/**
 * The one import of TensorFlow.js in the code base. `@tensorflow/tfjs` is loaded for its side
 * effects (gradient registrations; the core package's Node bundle ships none) and the CPU
 * reference backend; every other module takes `tf` from here.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor2D = tf.Tensor2D;
export type Tensor3D = tf.Tensor3D;
export type Tensor4D = tf.Tensor4D;
export type Variable = tf.Variable;
