/**
 * Child script for the parallel-flow tests: runs one particle-parallel flow (threads from
 * DGGF_THREADS) and returns without process.exit; the process must then end by itself.
 */
import { initEngine, tf } from '../../src/engine/index.js';
import { createMlp } from '../../src/nets/mlp.js';
import { FlowNoise, ratioTerm, runFlow } from '../../src/flow/index.js';
import { flowWorkerCount } from '../../src/engine/tfjs/parallel/pool.js';
import { Rng } from '../../src/util/rng.js';

await initEngine('wasm', { engine: 'tfjs' });
const net = createMlp({ inputDim: 2, hidden: 8, depth: 1, activation: 'leaky_relu' }, new Rng(1));
const x0 = tf.tensor2d(new Rng(2).normalArray(1024), [512, 2]);
const r = await runFlow(x0, [ratioTerm(net, 'chi2', 'ratio')], { steps: 2, eta: 0.1, noise: 0.1 }, new FlowNoise(3));
console.log(`flowed ${r.x.shape[0]} rows with ${flowWorkerCount()} worker`);
