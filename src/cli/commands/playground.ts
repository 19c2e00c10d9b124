/**
 * `dggf playground`: serves the built browser playground (dist/web/, built by
 * `npm run build:web`) on 127.0.0.1 and prints its URL. A tiny static server on node:http —
 * the page is plain files and also works from any static host. With `--run DIR` it also
 * serves that run folder's config.json (and prior.bin, where an image run keeps its prior's
 * arrays), newest intact checkpoint and metrics.jsonl under run/, which the page loads at start
 * to replay the run's flow (an image run: to show a grid of samples and their flow).
 *
 * It serves files inside its web root and the run folder only (symbolic links resolved), to
 * requests whose Host header it knows (../http-guard.ts), with a strict CSP and no framing; a
 * request it cannot serve gets an error status, never a crash.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestCheckpoint, skippedCheckpointsNote } from '../../train/checkpoint.js';
import { runPaths } from '../../train/run-folder.js';
import { TOY_DATASET_NAMES } from '../../data/toy2d.js';
import { EXIT, UsageError } from '../errors.js';
import { SECURITY_HEADERS, allowedHostNames, hostAllowed, isLoopbackHost, safeRequestPath } from '../http-guard.js';

/** dist/web/ of this package (the same three levels up from src/cli/commands and dist/cli/commands). */
export const PLAYGROUND_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.csv': 'text/csv; charset=utf-8',
  '.ckpt': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface PlaygroundOptions {
  port?: number;
  host?: string;
  run?: string;
  /** More Host header names to accept (--allow-host). */
  allowHosts?: string[];
  /** Folder to serve (default PLAYGROUND_DIR; tests). */
  root?: string;
}

/** Whether `file` (resolved, symbolic links followed) lies inside the folder `dir` (resolved the same way). */
function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

function realpathOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The CSV a run was trained on, when it may be served: it must lie inside the run folder
 * (its config names an absolute path; a copy at DIR/data.csv is used otherwise). `notes`
 * collects why it is not served.
 */
function runDataFile(dir: string, configFile: string, notes: string[]): string | null {
  let data: string | undefined;
  try {
    data = (JSON.parse(fs.readFileSync(configFile, 'utf8')) as { config?: { data?: string } }).config?.data;
  } catch {
    return null; // the page reports a bad config.json itself
  }
  if (!data || TOY_DATASET_NAMES.includes(data as never)) return null;
  const realDir = fs.realpathSync(dir);
  const copy = realpathOrNull(path.join(dir, 'data.csv'));
  const real = realpathOrNull(data);
  for (const candidate of [real, copy]) {
    if (candidate && inside(candidate, realDir) && fs.statSync(candidate).isFile()) return candidate;
  }
  if (real) {
    notes.push(
      `the run's data ${data} lies outside the run folder, so it is not served (the page replays the run but cannot train it further); ` +
        `copy it to ${path.join(dir, 'data.csv')} to serve it`,
    );
  }
  return null;
}

/** What `--run DIR` exposes: URL path under run/ → file on disk; `notes` for the user. */
function runFiles(dir: string, notes: string[]): Map<string, string> {
  const paths = runPaths(dir);
  if (!fs.existsSync(paths.config)) throw new UsageError(`--run ${dir}: no config.json here: not a dggf run folder`);
  const latest = latestCheckpoint(paths.checkpoints);
  if (!latest) throw new UsageError(`--run ${dir}: no intact checkpoint in checkpoints/ (train first)`);
  const skipped = skippedCheckpointsNote(latest);
  if (skipped) notes.push(skipped);
  const files = new Map<string, string>([
    ['config.json', paths.config],
    [path.basename(latest.file), latest.file],
  ]);
  if (fs.existsSync(paths.metrics)) files.set('metrics.jsonl', paths.metrics);
  // an image run's data-dependent prior keeps its big arrays next to config.json
  const priorBin = path.join(dir, 'prior.bin');
  if (fs.existsSync(priorBin)) files.set('prior.bin', priorBin);
  // a run trained on a CSV inside its folder: serve it so the page can go on training
  const data = runDataFile(dir, paths.config, notes);
  if (data) files.set('data.csv', data);
  const manifest = {
    name: path.basename(path.resolve(dir)),
    config: 'run/config.json',
    checkpoint: `run/${path.basename(latest.file)}`,
    ...(files.has('metrics.jsonl') ? { metrics: 'run/metrics.jsonl' } : {}),
    ...(files.has('prior.bin') ? { prior: 'run/prior.bin' } : {}),
    ...(files.has('data.csv') ? { data: 'run/data.csv' } : {}),
  };
  files.set('manifest.json', `json:${JSON.stringify(manifest)}`);
  return files;
}

function send(res: http.ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': bytes.length, 'cache-control': 'no-store' });
  res.end(bytes);
}

/** Serves `file` when it lies (symbolic links resolved) inside one of `roots`; 404 otherwise. */
function serveFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, cache: string, roots: string[]): void {
  fs.realpath(file, (err, real) => {
    if (err || !roots.some((r) => inside(real, r))) return send(res, 404, 'not found\n');
    fs.stat(real, (err2, st) => {
      if (err2 || !st.isFile()) return send(res, 404, 'not found\n');
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': cache,
      });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(real).on('error', () => res.destroy()).pipe(res);
    });
  });
}

/** Starts the server; resolves with it, its URL and notes for the user once listening. */
export async function startPlaygroundServer(opts: PlaygroundOptions = {}): Promise<{ server: http.Server; url: string; notes: string[] }> {
  const root = path.resolve(opts.root ?? PLAYGROUND_DIR);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new UsageError(
      `the playground page is not built (${path.join(root, 'index.html')} is missing): run \`npm run build:web\` (or \`npx vite build web\`) in the dggf folder`,
    );
  }
  const notes: string[] = [];
  const run = opts.run ? runFiles(opts.run, notes) : null;
  const roots = [fs.realpathSync(root), ...(opts.run ? [fs.realpathSync(opts.run)] : [])];
  const host = opts.host ?? '127.0.0.1';
  const allowed = allowedHostNames(host, opts.allowHosts);
  let port = opts.port ?? 5173;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (!hostAllowed(req.headers.host, allowed, port)) return send(res, 403, 'forbidden: unknown Host header (see dggf playground --allow-host)\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    const pathname = safeRequestPath(req.url);
    if (pathname === 400) return send(res, 400, 'bad request\n');
    if (pathname === 404) return send(res, 404, 'not found\n');
    if (pathname.startsWith('/run/')) {
      const target = run?.get(pathname.slice('/run/'.length));
      if (!target) return send(res, 404, run ? 'not found\n' : 'no run: start the playground with --run DIR\n');
      if (target.startsWith('json:')) {
        const body = Buffer.from(target.slice(5));
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES['.json'], 'content-length': body.length, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      return serveFile(req, res, target, 'no-store', roots.slice(1));
    }
    const rel = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    if (!inside(file, root)) return send(res, 404, 'not found\n');
    // hashed assets never change; the page itself is revalidated
    serveFile(req, res, file, rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache', roots.slice(0, 1));
  };
  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      // a request this server did not foresee: an error status, and the server stays up
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`port ${port} is already in use: choose another with --port N (--port 0 picks a free one)`));
      else if (e.code === 'EACCES') reject(new UsageError(`port ${port} needs privileges: choose a port ≥ 1024 with --port N`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UsageError(`cannot listen on host '${host}' (${e.code})`));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  if (!isLoopbackHost(host)) {
    notes.unshift(
      `warning: --host ${host} is not a loopback address: anyone who can reach this machine on port ${port} can open the playground` +
        `${opts.run ? ` and read the run's config.json, prior, checkpoint and metrics` : ''}; use it only on a network you trust`,
    );
  }
  return { server, url: `http://${shownHost}:${port}/`, notes };
}

/** `dggf playground [--port N] [--run DIR]`: serves until Ctrl+C (or SIGTERM). */
export async function playgroundCommand(o: { port?: number; host?: string; run?: string; allowHost?: string[] }): Promise<number> {
  const { server, url, notes } = await startPlaygroundServer({ port: o.port, host: o.host, run: o.run, allowHosts: o.allowHost });
  for (const note of notes) process.stderr.write(`dggf playground: ${note}\n`);
  process.stdout.write(`dggf playground: ${url}${o.run ? ` (with run ${o.run})` : ''}\n`);
  if (process.stdout.isTTY) process.stdout.write('Open it in a browser; Ctrl+C stops the server.\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.ok;
}
