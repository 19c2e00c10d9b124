/**
 * Worker threads on one of our own modules, whether it runs from dist/ (JavaScript) or from
 * source under tsx (tests, `npm run bench`). The worker starts from a small plain-JavaScript
 * bootstrap so that (1) a failure to load the module is reported to the main thread as
 * `{ id: 0, error }` (on `workerData.port` when given, else the parent port) and the worker
 * exits, and (2) under tsx, tsx's loader is registered inside the worker first (Node 20 does
 * not apply an `--import tsx` in a worker's execArgv to the worker's own entry module).
 */
import { Worker, type TransferListItem } from 'node:worker_threads';

function bootstrap(preamble: string): string {
  return `
const { workerData, parentPort } = require('node:worker_threads');
${preamble}
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => {
  (workerData.port ?? parentPort).postMessage({ id: 0, error: String(e && e.stack || e) });
  process.exit(1);
});
`;
}

/**
 * A worker running the module `name` (without extension) next to the module `base`
 * (`import.meta.url` of the caller), with `data` as its workerData (plus `entry` and `tsx`).
 * `preamble`: JavaScript run in the bootstrap before the module loads (it sees `workerData`).
 */
export function startModuleWorker(
  base: string,
  name: string,
  data: Record<string, unknown>,
  opts: { preamble?: string; transferList?: TransferListItem[] } = {},
): Worker {
  const fromSource = base.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base).href;
  const tsx = fromSource ? import.meta.resolve('tsx/esm/api') : undefined;
  return new Worker(bootstrap(opts.preamble ?? ''), { eval: true, workerData: { ...data, entry, tsx }, transferList: opts.transferList, execArgv: [] });
}
