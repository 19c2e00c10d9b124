/**
 * The library inside someone else's program (issue 21): initEngine leaves the host's own
 * errors alone (the wasm backend's Emscripten glue used to install process handlers that
 * rethrew them: exit code 7, the glue's minified source on stderr).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { ROOT, tempDir } from '../helpers/cli.js';

test("library: after initEngine the host's uncaught errors and rejections end as Node's own (exit 1, its stack), on every engine", () => {
  const entry = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
  const dir = tempDir('library-host');
  for (const [engine, kind] of [
    ['ort', 'throw'],
    ['tfjs', 'throw'],
    ['tfjs', 'reject'],
  ] as const) {
    const script = path.join(dir, `host-${engine}-${kind}.mjs`);
    const fail = kind === 'throw' ? "setTimeout(() => { throw new Error('the host program failed'); }, 5);" : "Promise.reject(new Error('the host program failed'));";
    fs.writeFileSync(
      script,
      `import { initEngine } from '${entry}';\nawait initEngine('wasm', { engine: '${engine}' });\n` +
        `process.stdout.write(String(process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length));\n${fail}\n`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.stdout, '0', `${engine}: no process handlers left installed`);
    assert.equal(r.status, 1, `${engine}/${kind}: exit ${r.status}, stderr ${r.stderr.slice(0, 300)}`);
    assert.match(r.stderr, /the host program failed/);
    assert.doesNotMatch(r.stderr, /tf-backend-wasm|tfjs-backend-wasm/, `${engine}/${kind}: the glue's source is not printed`);
  }
});

test('library: training or sampling before initEngine says what to do, without TF.js falling back to its pure-JS backend', () => {
  const entry = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
  const script = path.join(tempDir('library-no-init'), 'host.mjs');
  fs.writeFileSync(
    script,
    `import { resolveConfig, resolveDataset, deriveSetup } from '${entry}';\n` +
      `const { config } = resolveConfig({ preset: 'toy', overrides: { data: 'moons' }, defaults: {} });\n` +
      `await deriveSetup(config, resolveDataset(config.data));\n`,
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /deriveSetup: call `await initEngine\(\)` first/);
  assert.doesNotMatch(r.stdout + r.stderr, /looks like you are running TensorFlow\.js in Node/, 'no TF.js banner: nothing ran on the cpu backend');
});
