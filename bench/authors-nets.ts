/**
 * Our `basic-resnet` against the authors' own nets (clear-nus/fdrl src/models.py, run by
 * PyTorch): bench/authors_nets.py builds ResNet32x32 (with self-attention), ResNet64x64,
 * ResNet64x64Shallow (with self-attention) and ResNet128x128 with random weights; their
 * weights are loaded into ours (AUTHORS_NETS in src/config/presets.ts) and the outputs and
 * input gradients of a random batch are compared, on both engines. Needs /usr/bin/python3 with
 * torch and a checkout of the authors' repository:
 *
 *   npx tsx bench/authors-nets.ts --fdrl PATH/TO/fdrl
 *
 * Exits 1 when any output or gradient differs by more than float32 rounding (1e-5 relative).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, tf } from '../src/engine/index.js';
import { ortEngine } from '../src/engine/ort/engine.js';
import { tfjsEngine } from '../src/engine/tfjs/engine.js';
import { createRatioNet, netSpec, type NetConfig } from '../src/nets/ratio-net.js';
import { transposeData } from '../src/engine/ort/ops.js';
import { AUTHORS_NETS } from '../src/config/presets.js';
import { ratioTerm } from '../src/flow/index.js';
import { Rng } from '../src/util/rng.js';
import { opt, runScript } from './args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOLERANCE = 1e-5;

interface Stored {
  shape: number[];
  offset: number;
}
interface Case {
  size: number;
  model: 'resnet' | 'resnetshallow';
  self_attn: boolean;
  params: Record<string, Stored>;
  x: Stored;
  y: Stored;
  grad: Stored;
}

/** Our net config for one of the authors' (attention after layer1 at 32, layer2 at 64 and 128, as their code). */
function ourNet(c: Case): NetConfig {
  const base = c.model === 'resnetshallow' ? AUTHORS_NETS.resnetshallow64 : { 32: AUTHORS_NETS.resnet32, 64: AUTHORS_NETS.resnet64, 128: AUTHORS_NETS.resnet128 }[c.size]!;
  return c.self_attn ? { ...base, attentionAfter: c.size === 32 ? 1 : 2 } : base;
}

/** Our weight name for a PyTorch state_dict key, and whether it is a conv kernel ([cout, cin, k, k] → [k, k, cin, cout]). */
function ourName(key: string): { name: string; conv: boolean } {
  const block = key.match(/^layer(\d+)\.(\d+)\.(conv1|conv2|shortcut_conv)\.weight$/);
  if (block) return { name: `stage${block[1]}/block${Number(block[2]) + 1}/${block[3] === 'shortcut_conv' ? 'shortcut' : block[3]}/kernel`, conv: true };
  const attention = key.match(/^self_attn_module\.(key|query|value|self_att)\.(weight|bias)$/);
  if (attention) {
    const part = attention[1] === 'self_att' ? 'out' : attention[1];
    return { name: `attention/${part}/${attention[2] === 'weight' ? 'kernel' : 'bias'}`, conv: attention[2] === 'weight' };
  }
  const fixed: Record<string, { name: string; conv: boolean }> = {
    'conv1.weight': { name: 'stem/kernel', conv: true },
    'self_attn_module.gamma': { name: 'attention/gamma', conv: false },
    // Linear(C, 1).weight is [1, C]: the same values as our [C, 1] kernel
    'linear.weight': { name: 'dense/kernel', conv: false },
    'linear.bias': { name: 'dense/bias', conv: false },
  };
  if (!fixed[key]) throw new Error(`no counterpart for the authors' tensor ${key}`);
  return fixed[key];
}

const nchwToNhwc = (values: Float32Array, [n, c, h, w]: number[]): Float32Array => transposeData(values, [n, c, h, w], [0, 2, 3, 1]);

async function main(): Promise<void> {
  const fdrl = opt('fdrl', '');
  if (!fdrl || !fs.existsSync(path.join(fdrl, 'src', 'models.py'))) throw new Error('--fdrl DIR: a checkout of github.com/clear-nus/fdrl (with src/models.py) is needed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-authors-nets-'));
  const py = spawnSync('/usr/bin/python3', [path.join(HERE, 'authors_nets.py'), '--fdrl', fdrl, '--out', dir], { stdio: 'inherit' });
  if (py.status !== 0) throw new Error('bench/authors_nets.py failed (needs /usr/bin/python3 with torch)');
  const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Case[];
  const buf = fs.readFileSync(path.join(dir, 'data.bin'));
  const data = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const read = (s: Stored): Float32Array => Float32Array.from(data.subarray(s.offset, s.offset + s.shape.reduce((a, b) => a * b, 1)));
  let worst = 0;
  for (const engine of [ortEngine, tfjsEngine]) {
    await initEngine('wasm', { engine: engine.name });
    for (const c of cases) {
      const dim = c.size * c.size * 3;
      const net = createRatioNet(netSpec(ourNet(c), dim, { height: c.size, width: c.size, channels: 3 }), new Rng(1));
      const theirs = new Map(Object.entries(c.params).map(([key, s]) => {
        const { name, conv } = ourName(key);
        return [name, conv ? transposeData(read(s), s.shape, [2, 3, 1, 0]) : read(s)];
      }));
      for (const p of net.params) {
        const name = p.name.slice(p.name.indexOf('/') + 1);
        const values = theirs.get(name);
        if (!values || values.length !== p.variable.size) throw new Error(`${name}: the authors' net has no tensor of ${p.variable.size} values for it`);
        p.variable.assign(tf.tensor(values, p.variable.shape));
        theirs.delete(name);
      }
      if (theirs.size) throw new Error(`the authors' tensors ${[...theirs.keys()]} have no counterpart in ours`);
      const x = tf.tensor2d(nchwToNhwc(read(c.x), c.x.shape), [2, dim]);
      const y = await engine.outputs(net, undefined, x);
      const drift = await engine.drift(x, [ratioTerm(net, 'kl', 'log-ratio')])!;
      const grad = drift.dataSync();
      const ty = read(c.y);
      const tg = nchwToNhwc(read(c.grad), c.grad.shape);
      const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
        let d = 0;
        let m = 0;
        for (let i = 0; i < b.length; i++) {
          d = Math.max(d, Math.abs(a[i] - b[i]));
          m = Math.max(m, Math.abs(b[i]));
        }
        return d / m;
      };
      const [ey, eg] = [rel(y, ty), rel(grad, tg)];
      worst = Math.max(worst, ey, eg);
      console.log(
        `${engine.name} ${c.model} ${c.size}${c.self_attn ? ' + self-attention' : ''}: outputs ${Array.from(y, (v) => v.toFixed(6))} vs PyTorch ${Array.from(ty, (v) => v.toFixed(6))}, ` +
          `relative difference ${ey.toExponential(1)}; input gradient ${eg.toExponential(1)}`,
      );
      tf.dispose([x, drift]);
      net.dispose();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  if (worst > TOLERANCE) throw new Error(`largest relative difference ${worst} > ${TOLERANCE}`);
  console.log(`every output and input gradient within ${TOLERANCE} of the authors' nets (largest ${worst.toExponential(1)})`);
}

runScript(main);
