/**
 * Config files (issue 21): the authors' five YAML configs map onto our fields (and what we do
 * not support is one line naming it), a run folder's config.json is accepted by --config, a
 * "$schema" reference is allowed, and the shipped JSON Schema is the one the zod schema gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../src/config/resolve.js';
import { PRESETS } from '../../src/config/presets.js';
import { ConfigError, configFileSchema, configJsonSchema, runConfigSchema } from '../../src/config/schema.js';
import { ROOT, tempDir } from '../helpers/cli.js';

const AUTHORS = path.join(ROOT, 'test', 'fixtures', 'authors-configs');
const fromYaml = (name: string, overrides = {}) => resolveConfig({ configFile: path.join(AUTHORS, `${name}.yaml`), overrides, defaults: {} });

test("configs: the authors' swissroll.yaml is paper-toy with their settings", () => {
  const { config, notes } = fromYaml('swissroll');
  assert.equal(config.preset, 'paper-toy');
  assert.equal(config.data, 'swissroll');
  assert.deepEqual(
    { divergence: config.divergence, loss: config.loss, lr: config.lr, iterations: config.iterations, lrMilestones: config.lrMilestones, lrGamma: config.lrGamma },
    { divergence: 'chi2', loss: 'lsif', lr: 5e-5, iterations: 20000, lrMilestones: [5000, 10000, 15000], lrGamma: 0.1 },
  );
  assert.deepEqual({ eta: config.eta, noise: config.noise, flowSteps: config.flowSteps, batch: config.batch, emaDecay: config.emaDecay }, { eta: 1, noise: 0.01, flowSteps: 200, batch: 1024, emaDecay: 0.998 });
  assert.deepEqual(config.net, { ...PRESETS['paper-toy'].config.net, hidden: 64, depth: 3 });
  assert.deepEqual({ logEvery: config.logEvery, checkpointEvery: config.checkpointEvery }, { logEvery: 1000, checkpointEvery: 1000 });
  assert.ok(notes.some((n) => n.startsWith('in_dim')));
});

test("configs: the authors' image configs pick the paper preset of their size, with their net switches", () => {
  for (const [name, preset, sn, milestones] of [
    ['cifar10', 'paper-32', true, [80000, 90000]],
    ['celeba', 'paper-64', false, [80000, 90000]],
    ['lsun_church', 'paper-128', false, [80000, 90000]],
  ] as const) {
    // their datasets are not built in: the data comes from --data
    assert.throws(() => fromYaml(name), (e: Error) => e instanceof ConfigError && e.message.includes(`dataset: '${name}' is not built in`));
    const { config } = fromYaml(name, { data: 'emoji' });
    assert.equal(config.preset, preset, name);
    assert.equal(config.imageSize, Number(preset.slice(6)));
    assert.deepEqual(
      { lr: config.lr, iterations: config.iterations, lrMilestones: config.lrMilestones, eta: config.eta, noise: config.noise, flowSteps: config.flowSteps, batch: config.batch, emaDecay: config.emaDecay, divergence: config.divergence, loss: config.loss },
      { lr: 1e-4, iterations: 100000, lrMilestones: milestones, eta: 3, noise: 0.01, flowSteps: 100, batch: 64, emaDecay: 0.998, divergence: 'chi2', loss: 'lsif' },
      name,
    );
    assert.deepEqual(config.net, { ...PRESETS[preset].config.net, spectralNorm: sn }, name);
  }
});

test("configs: the authors' cat2dog.yaml is paper-translate-64 where that preset exists, else one line naming resnetshallow", () => {
  if (PRESETS['paper-translate-64']) {
    const { config } = fromYaml('cat2dog', { data: 'emoji-twitter' });
    assert.equal(config.preset, 'paper-translate-64');
    assert.deepEqual({ iterations: config.iterations, lrMilestones: config.lrMilestones }, { iterations: 40000, lrMilestones: [20000, 30000] });
    // resnetshallow with their self-attention after layer2 and spectral norm
    assert.deepEqual(config.net, { ...PRESETS['paper-translate-64'].config.net, attentionAfter: 2, spectralNorm: true });
    const cat2dog = fs.readFileSync(path.join(AUTHORS, 'cat2dog.yaml'), 'utf8');
    const cifar10 = fs.readFileSync(path.join(AUTHORS, 'cifar10.yaml'), 'utf8');
    const dir = tempDir('yaml-attention');
    const variant = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return resolveConfig({ configFile: path.join(dir, name), overrides: { data: 'emoji-twitter' }, defaults: {} }).config.net as Record<string, unknown>;
    };
    // self_attn: false takes the preset's attention away; at 32×32 their code puts it after layer1
    assert.equal(variant('no-attention.yaml', cat2dog.replace('self_attn: true', 'self_attn: false')).attentionAfter, undefined);
    assert.equal(variant('cifar-attention.yaml', cifar10.replace('self_attn: false', 'self_attn: true')).attentionAfter, 1);
    assert.throws(() => variant('bad.yaml', cat2dog.replace('self_attn: true', 'self_attn: yes please')), /self_attn: expected true or false/);
  } else {
    assert.throws(() => fromYaml('cat2dog', { data: 'emoji-twitter' }), /model: 'resnetshallow' is not supported/);
  }
});

test('configs: keys and values of the YAML configs we do not support are one line naming them', () => {
  const dir = tempDir('yaml-bad');
  const write = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const base = fs.readFileSync(path.join(AUTHORS, 'swissroll.yaml'), 'utf8');
  const cases: [string, RegExp][] = [
    [base + '\nwarmup_steps: 10\n', /'warmup_steps' is not a key of the authors' configs/],
    [base.replace('f_divergence: Pearson', 'f_divergence: Wasserstein'), /f_divergence: 'Wasserstein' is not supported/],
    [base.replace('learning_rate: 5.e-5', 'learning_rate: fast'), /learning_rate: expected a number/],
    [base.replace('dataset: swissroll', 'dataset: swissroll\nimg_size: 48'), /img_size: 48 is not supported/],
    ['a: [1, 2\n', /not valid YAML/],
    ['- 1\n- 2\n', /expected a YAML mapping/],
  ];
  cases.forEach(([text, expected], i) => {
    const file = write(`c${i}.yaml`, text);
    assert.throws(
      () => resolveConfig({ configFile: file, overrides: {}, defaults: {} }),
      (e: Error) => e instanceof ConfigError && expected.test(e.message) && e.message.includes(file) && !e.message.includes('\n'),
      `case ${i}`,
    );
  });
});

test("configs: a run folder's config.json is accepted by --config (its config, options over it); \"$schema\" is allowed", () => {
  const dir = tempDir('run-config');
  const first = resolveConfig({ preset: 'toy', overrides: { data: 'moons', lr: 0.003, seed: 4 }, defaults: {} }).config;
  const stored = { dggf: '0.1.0', createdAt: new Date().toISOString(), config: first, derived: { dim: 2, normalizer: { mean: [0, 0], std: [1, 1] }, prior: { name: 'gaussian', dim: 2 } } };
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(stored));
  const again = resolveConfig({ configFile: file, overrides: { iterations: 7 }, defaults: {} });
  assert.deepEqual(again.config, { ...first, iterations: 7 });
  assert.ok(again.notes.some((n) => n.includes("a run's config.json")));
  const withSchema = path.join(dir, 'mine.json');
  fs.writeFileSync(withSchema, JSON.stringify({ $schema: './node_modules/dggf/schema/config.schema.json', lr: 0.002 }));
  assert.equal(resolveConfig({ configFile: withSchema, overrides: { data: 'moons' }, defaults: {} }).config.lr, 0.002);
});

test('configs: the shipped JSON Schema is generated from the zod schema, covers every field and accepts every preset', () => {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'config.schema.json'), 'utf8'));
  assert.deepEqual(shipped, JSON.parse(JSON.stringify(configJsonSchema())), 'schema/config.schema.json is stale: npm run build writes it');
  const properties = Object.keys(shipped.properties);
  for (const k of Object.keys(runConfigSchema.shape)) assert.ok(properties.includes(k), k);
  assert.ok(properties.includes('$schema'));
  for (const [name, p] of Object.entries(PRESETS)) assert.ok(configFileSchema.safeParse(p.config).success, name);
  assert.ok(configFileSchema.safeParse({ net: { hidden: 32 } }).success, 'a partial net');
  assert.ok(!configFileSchema.safeParse({ learning_rate: 1 }).success, 'not our field');
});
