/**
 * Loading a run folder from `dggf train`: picked as a folder or as files (config.json, a
 * checkpoint, metrics.jsonl, the data CSV, an image run's prior.bin), or served next to the page by
 * `dggf playground --run DIR` (run/manifest.json). The files go to the host, which checks them.
 */
import type { ToHost } from '../protocol.js';
import type { Messages } from './messages.js';
import { byId } from './dom.js';

export type LoadMessage = Omit<Extract<ToHost, { type: 'load' }>, 'type'>;

export interface RunLoading {
  /** Loads the run `dggf playground --run DIR` serves, if it serves one. */
  loadServed(): Promise<void>;
}

/** `load`: sends the run's files to the host (and marks the page busy). */
export function createRunLoading(messages: Messages, load: (m: LoadMessage) => void): RunLoading {
  const dir = byId<HTMLInputElement>('load-dir');
  const files = byId<HTMLInputElement>('load-files');

  const loadFiles = async (list: File[], how: string): Promise<void> => {
    const pathOf = (f: File): string => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const config = list.find((f) => f.name === 'config.json') ?? list.find((f) => f.name.endsWith('.json'));
    const checkpoints = list.filter((f) => f.name.endsWith('.ckpt'));
    const metrics = list.find((f) => f.name === 'metrics.jsonl');
    const prior = list.find((f) => f.name === 'prior.bin');
    const data = list.find((f) => /\.(csv|tsv|txt)$/i.test(f.name) && !/^samples/.test(pathOf(f)));
    if (!config) {
      messages.error(`${how}: no config.json among ${list.length} file${list.length === 1 ? '' : 's'}`);
      return;
    }
    if (!checkpoints.length) {
      messages.error(`${how}: no checkpoint (checkpoints/iter-*.ckpt) — train the run first, or add its .ckpt file`);
      return;
    }
    const buffers = await Promise.all(checkpoints.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
    load({
      config: await config.text(),
      checkpoints: buffers,
      metrics: metrics ? await metrics.text() : undefined,
      data: data ? { name: data.name, text: await data.text() } : undefined,
      prior: prior ? await prior.arrayBuffer() : undefined,
    });
  };

  for (const input of [dir, files]) {
    input.addEventListener('change', () => {
      const list = [...(input.files ?? [])];
      input.value = '';
      if (list.length) void loadFiles(list, input === dir ? 'folder' : 'files').catch((e) => messages.error((e as Error).message));
    });
  }

  return {
    async loadServed() {
      let manifest: { config: string; checkpoint: string; metrics?: string; data?: string; prior?: string; name?: string };
      try {
        const r = await fetch('run/manifest.json', { cache: 'no-store' });
        if (!r.ok) return;
        manifest = await r.json();
      } catch {
        return; // a static host without a run
      }
      try {
        const get = async (url: string): Promise<Response> => {
          const r = await fetch(url, { cache: 'no-store' });
          if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
          return r;
        };
        load({
          config: await (await get(manifest.config)).text(),
          checkpoints: [{ name: manifest.checkpoint.split('/').pop()!, bytes: await (await get(manifest.checkpoint)).arrayBuffer() }],
          metrics: manifest.metrics ? await (await get(manifest.metrics)).text() : undefined,
          data: manifest.data ? { name: 'data.csv', text: await (await get(manifest.data)).text() } : undefined,
          prior: manifest.prior ? await (await get(manifest.prior)).arrayBuffer() : undefined,
        });
      } catch (e) {
        messages.error(`loading the served run: ${(e as Error).message}`);
      }
    },
  };
}
