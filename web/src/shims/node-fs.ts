/**
 * The page's stand-in for `node:fs` in src/data/ (substituted by web/vite.config.ts): the
 * page uses the data modules' generators, CSV parser and finite datasets, never their file
 * reading, so nothing exists and reading or writing fails with a clear message.
 */
function unavailable(name: string): never {
  throw new Error(`fs.${name} is not available in the browser`);
}
export const existsSync = (_p: unknown): boolean => false;
export const statSync = (): never => unavailable('statSync');
export const readFileSync = (): never => unavailable('readFileSync');
export const writeFileSync = (): never => unavailable('writeFileSync');
export const renameSync = (): never => unavailable('renameSync');
export const rmSync = (): never => unavailable('rmSync');
export default { existsSync, statSync, readFileSync, writeFileSync, renameSync, rmSync };
