/**
 * The browser entry (src/browser.ts → dist/browser.js, the package's `browser` export):
 * nothing reachable from it imports a Node built-in or a package outside TF.js's browser
 * parts (a walk of dist/'s import graph); its potentials are src/divergences' f′; its prior
 * draws are examples/shared/prior.mjs's, value for value; a bad manifest is one line naming the
 * field. Its flow is checked in Chromium against examples/tfjs/sample.mjs by
 * test/e2e/browser-build.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';
import { initEngine, tf } from '../../src/engine/index.js';
import { tfjsOps } from '../../src/engine/tfjs-ops.js';
import { DIVERGENCES, getDivergence } from '../../src/divergences/index.js';
import { POTENTIAL, type ExportManifest } from '../../src/export/manifest.js';
import { POTENTIAL_KEYS, potentialFor } from '../../src/exported/potential.js';
import { drawPrior, priorValues } from '../../src/exported/prior.js';
import { seededNormals } from '../../src/exported/seeded-normals.js';
import { ExportReadError, parseManifest } from '../../src/exported/manifest.js';
// @ts-expect-error: plain JavaScript without types (the example is dependency-free)
import * as example from '../../examples/shared/prior.mjs';

const DIST = path.join(ROOT, 'dist');
/** What the browser build may import besides its own files: TF.js's browser-ready parts. */
const ALLOWED_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'];

/** The import specifiers of an ES module (static, re-exports, bare side-effect and dynamic imports). */
function importsOf(code: string): string[] {
  const found: string[] = [];
  const patterns = [/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g, /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
  return found;
}

/** Every dist/ file reachable from `entry`, and every bare import seen, with its importer. */
function walk(entry: string): { files: Set<string>; bare: { spec: string; from: string }[] } {
  const files = new Set<string>();
  const bare: { spec: string; from: string }[] = [];
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else bare.push({ spec, from: path.relative(ROOT, file) });
    }
  };
  visit(entry);
  return { files, bare };
}

const packageOf = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

test('package.json: the browser condition (and dggf/browser) lead to dist/browser.js; Node keeps dist/index.js', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dot = pkg.exports['.'];
  assert.equal(Object.keys(dot)[0], 'browser', "'browser' comes first, so that bundlers pick it before 'import'/'default'");
  assert.deepEqual(dot.browser, { types: './dist/browser.d.ts', default: './dist/browser.js' });
  assert.equal(dot.import, './dist/index.js');
  assert.equal(dot.default, './dist/index.js');
  assert.equal(dot.types, './dist/index.d.ts');
  assert.deepEqual(pkg.exports['./browser'], dot.browser);
  for (const f of ['browser.js', 'browser.d.ts']) assert.ok(fs.existsSync(path.join(DIST, f)), `dist/${f} missing: run npm run build`);
});

test('nothing reachable from dist/browser.js imports a Node built-in or a package beyond TF.js core, layers and the cpu backend', () => {
  const { files, bare } = walk(path.join(DIST, 'browser.js'));
  const rel = [...files].map((f) => path.relative(DIST, f));
  // the walk reaches the sampler and stops short of the Node library
  assert.ok(rel.includes(path.join('exported', 'flow.js')) && rel.includes(path.join('engine', 'tf-browser.js')), rel.join(', '));
  assert.ok(!rel.includes('index.js') && !rel.includes(path.join('engine', 'index.js')), rel.join(', '));
  const builtins = bare.filter(({ spec }) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]));
  assert.deepEqual(builtins, [], 'Node built-ins reached from the browser entry');
  const others = bare.filter(({ spec }) => !ALLOWED_PACKAGES.includes(packageOf(spec)));
  assert.deepEqual(others, [], `packages other than ${ALLOWED_PACKAGES.join(', ')} reached from the browser entry`);
  assert.ok(!bare.some(({ spec }) => spec === '@tensorflow/tfjs'), 'not the umbrella');
  // the walker sees what the Node entry imports (so an empty list above is not a blind walker)
  const node = walk(path.join(DIST, 'index.js')).bare.map(({ spec }) => spec);
  assert.ok(node.some((s) => s.startsWith('node:')) && node.includes('onnxruntime-node'), 'the Node entry reaches node: modules and onnxruntime-node');
});

test("the browser sampler's potentials are src/divergences' f′, for every pair the exporter writes", async () => {
  await initEngine('cpu');
  assert.deepEqual(
    [...POTENTIAL_KEYS].sort(),
    Object.entries(POTENTIAL)
      .flatMap(([d, outputs]) => Object.keys(outputs).map((o) => `${d}/${o}`))
      .sort(),
  );
  const out = tf.tensor1d([-3, -0.5, 0, 0.7, 2.5]);
  for (const key of POTENTIAL_KEYS) {
    const [d, output] = key.split('/') as [(typeof DIVERGENCES)[number], 'ratio' | 'log-ratio'];
    const ours = tf.tidy(() => Array.from(potentialFor(d, output)(tfjsOps, output === 'ratio' ? tf.exp(out) : out).dataSync()));
    const ref = tf.tidy(() => Array.from(getDivergence(d).fPrimeOf(tfjsOps, output === 'ratio' ? tf.exp(out) : out, output).dataSync()));
    assert.deepEqual(ours, ref, key);
  }
  out.dispose();
  assert.throws(() => potentialFor('kl', 'ratio'), /run\.divergence 'kl' with ratio outputs: no potential known/);
});

const MANIFEST: ExportManifest = {
  format: 'dggf-tfjs-flow',
  formatVersion: 1,
  dggf: '0.1.0',
  exportedAt: '2026-12-07T00:00:00.000Z',
  run: { data: 'test', iteration: 1, divergence: 'kl', loss: 'lr', net: {} },
  dim: 3,
  image: null,
  normalizer: { mean: [0, 1, 2], std: [1, 2, 3] },
  ratioNet: { file: 'model.json', input: 'x', output: 'out', outputIs: 'log-ratio' },
  flow: { eta: 0.1, noise: 0.01, steps: 5, quietSteps: 2, potential: 'out' },
  prior: { name: 'gaussian', about: '' },
  sampling: '',
};

test('prior draws are examples/shared/prior.mjs\'s for the same seed: gaussian, uniform, full covariance, low rank + diagonal, a low-rank mixture, clamped', () => {
  const dir = tempDir('browser-prior');
  const dim = 3;
  // …then a two-component low-rank mixture: weights at 21, means at 23, factors (rank 2) at 29, diagonal at 41
  const values = Float32Array.from({ length: 3 + 9 + 6 + 3 + 2 + 6 + 12 + 6 }, (_, i) => Math.sin(i + 1) * 0.8);
  values.set([0.3, 0.7], 21);
  fs.writeFileSync(path.join(dir, 'prior.bin'), new Uint8Array(values.buffer));
  const bin = priorValues(values.buffer);
  const priors: ExportManifest['prior'][] = [
    { name: 'gaussian', about: '' },
    { name: 'uniform', low: -1, high: 1, about: '' },
    { name: 'data-gaussian', file: 'prior.bin', mean: { offset: 0, length: 3, shape: [3] }, chol: { offset: 3, length: 9, shape: [3, 3] }, clamp: false, about: '' },
    { name: 'data-gaussian', file: 'prior.bin', mean: { offset: 0, length: 3, shape: [3] }, factor: { offset: 12, length: 6, shape: [3, 2] }, diagStd: { offset: 18, length: 3, shape: [3] }, clamp: true, about: '' },
    {
      name: 'data-gmm',
      file: 'prior.bin',
      weights: { offset: 21, length: 2, shape: [2] },
      means: { offset: 23, length: 6, shape: [2, 3] },
      factors: { offset: 29, length: 12, shape: [2, 3, 2] },
      diagStds: { offset: 41, length: 6, shape: [2, 3] },
      clamp: true,
      about: '',
    },
  ];
  for (const prior of priors) {
    const m = { ...MANIFEST, prior };
    const ours = drawPrior(m, bin, 7, seededNormals(11));
    const theirs = example.drawPrior(dir, m, 7, example.seededNormals(11)) as Float32Array;
    assert.deepEqual(Array.from(ours), Array.from(theirs), prior.name);
    assert.equal(ours.length, 7 * dim);
    // the stream goes on alike after the draw (the noise comes from it next)
    const a = seededNormals(11);
    const b = example.seededNormals(11);
    drawPrior(m, bin, 7, a);
    example.drawPrior(dir, m, 7, b);
    assert.deepEqual(Array.from(a.normals(5)), Array.from(b.normals(5) as Float32Array));
  }
  for (const clamped of [priors[3], priors[4]]) {
    assert.ok(Array.from(drawPrior({ ...MANIFEST, prior: clamped }, bin, 50, seededNormals(1))).every((v) => v >= -1 && v <= 1), `${clamped.name} clamped`);
  }
  assert.throws(() => drawPrior({ ...MANIFEST, prior: { name: 'data', source: 'emoji-google', about: '' } }, null, 2, seededNormals(0)), /pass your own source images as x0/);
  assert.throws(() => priorValues(new ArrayBuffer(6)), /prior\.bin: 6 bytes is not a whole number of float32 values/);
});

test('a bad manifest is one line naming the field and what was expected', () => {
  assert.equal(parseManifest(JSON.stringify(MANIFEST), 'dggf-tfjs-flow').dim, 3);
  const broken = (change: (m: Record<string, any>) => void): string => {
    const m = structuredClone(MANIFEST) as unknown as Record<string, any>;
    change(m);
    try {
      parseManifest(JSON.stringify(m), 'dggf-tfjs-flow');
    } catch (e) {
      assert.ok(e instanceof ExportReadError);
      assert.equal(e.message.split('\n').length, 1);
      return e.message;
    }
    return 'accepted';
  };
  assert.equal(broken((m) => (m.format = 'dggf-onnx-flow')), "manifest.json: format: expected 'dggf-tfjs-flow' (dggf export --format tfjs), got 'dggf-onnx-flow'");
  assert.equal(broken((m) => (m.flow.eta = 'fast')), 'manifest.json: flow.eta: expected a number, got "fast"');
  assert.equal(broken((m) => delete m.flow.quietSteps), 'manifest.json: flow.quietSteps: expected a whole number of steps, got nothing');
  assert.equal(broken((m) => (m.flow.quietSteps = 9)), 'manifest.json: flow.quietSteps: expected at most flow.steps (5), got 9');
  assert.equal(broken((m) => (m.normalizer.std = [1, 2])), 'manifest.json: normalizer.std: expected 3 numbers (dim), got 2');
  assert.equal(broken((m) => (m.image = { height: 2, width: 2, channels: 1 })), 'manifest.json: image: 2×2×1 does not match dim 3');
  assert.equal(broken((m) => (m.prior = { name: 'data-gaussian', file: 'prior.bin', mean: { offset: 0, length: 2, shape: [2] } })), 'manifest.json: prior.mean: expected 3 values (dim), got 2');
  const gmm = { name: 'data-gmm', file: 'prior.bin', weights: { offset: 0, length: 2, shape: [2] }, means: { offset: 2, length: 6, shape: [2, 3] }, clamp: true };
  assert.equal(
    broken((m) => (m.prior = { ...gmm, factors: { offset: 8, length: 12, shape: [2, 2, 3] }, diagStds: { offset: 20, length: 6, shape: [2, 3] } })),
    'manifest.json: prior.factors: expected shape [2, 3, rank] (components, dim, rank), got [2,2,3]',
  );
  assert.equal(
    broken((m) => (m.prior = { ...gmm, factors: { offset: 8, length: 12, shape: [2, 3, 2] }, diagStds: { offset: 20, length: 3, shape: [3] } })),
    'manifest.json: prior.diagStds: expected 2×3 values, got 3',
  );
  assert.match(parseManifestError('{oops'), /^manifest\.json: not JSON/);
});

function parseManifestError(text: string): string {
  try {
    parseManifest(text, 'dggf-tfjs-flow');
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}
