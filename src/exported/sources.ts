/**
 * Where an export's files come from: a folder URL (fetch), files the user picked
 * (<input type="file" multiple>, drag and drop), or any function from a file name to its bytes.
 */
import { ExportReadError } from './manifest.js';

/** Reads one file of an export by its name in the folder (manifest.json, model.json, …). */
export type ExportReader = (name: string) => Promise<ArrayBuffer>;

/** Anything with a name and bytes, as a browser File is. */
export interface NamedBlob {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type ExportSource = string | URL | Iterable<NamedBlob> | ExportReader;

/** The files under the folder URL `base` (relative to the page when it is a relative URL). */
export function urlReader(base: string | URL, fetchFn: typeof fetch = fetch): ExportReader {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const text = String(base);
  const folder = new URL(text.endsWith('/') ? text : `${text}/`, page);
  return async (name) => {
    const url = new URL(name, folder);
    let res: Response;
    try {
      res = await fetchFn(url);
    } catch (e) {
      throw new ExportReadError(`${url}: could not fetch (${(e as Error).message})`);
    }
    if (!res.ok) throw new ExportReadError(`${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    return res.arrayBuffer();
  };
}

/** The picked files, by their base names. */
export function filesReader(files: Iterable<NamedBlob>): ExportReader {
  const byName = new Map<string, NamedBlob>();
  for (const f of files) byName.set(f.name.split('/').pop()!, f);
  return async (name) => {
    const f = byName.get(name);
    if (!f) throw new ExportReadError(`${name}: not among the files given (${[...byName.keys()].join(', ') || 'none'})`);
    return f.arrayBuffer();
  };
}

export function toReader(source: ExportSource): ExportReader {
  if (typeof source === 'function') return source;
  if (typeof source === 'string' || source instanceof URL) return urlReader(source);
  return filesReader(source);
}
