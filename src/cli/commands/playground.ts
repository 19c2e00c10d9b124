/**
 * `dggf playground`: serves the built browser playground (dist/web/, built by
 * `npm run build:web`) on 127.0.0.1 and prints its URL. A tiny static server on node:http —
 * the page is plain files and also works from any static host. With `--run DIR` it also
 * serves that run folder's config.json, newest intact checkpoint and metrics.jsonl under
 * run/, which the page loads at start to replay the run's flow.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { latestCheckpoint } from '../../train/checkpoint.js';
import { runPaths } from '../../train/run-folder.js';
import { TOY_DATASET_NAMES } from '../../data/toy2d.js';
import { EXIT, UsageError } from '../errors.js';

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
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface PlaygroundOptions {
  port?: number;
  host?: string;
  run?: string;
  /** Folder to serve (default PLAYGROUND_DIR; tests). */
  root?: string;
}

/** What `--run DIR` exposes: URL path under run/ → file on disk. */
function runFiles(dir: string): Map<string, string> {
  const paths = runPaths(dir);
  if (!fs.existsSync(paths.config)) throw new UsageError(`--run ${dir}: no config.json here: not a dggf run folder`);
  const latest = latestCheckpoint(paths.checkpoints);
  if (!latest) throw new UsageError(`--run ${dir}: no intact checkpoint in checkpoints/ (train first)`);
  const files = new Map<string, string>([
    ['config.json', paths.config],
    [path.basename(latest.file), latest.file],
  ]);
  if (fs.existsSync(paths.metrics)) files.set('metrics.jsonl', paths.metrics);
  // a run trained on a CSV stores its absolute path: serve it so the page can go on training
  try {
    const data = (JSON.parse(fs.readFileSync(paths.config, 'utf8')) as { config?: { data?: string } }).config?.data;
    if (data && !TOY_DATASET_NAMES.includes(data as never) && fs.existsSync(data) && fs.statSync(data).isFile()) files.set('data.csv', data);
  } catch {
    // the page reports a bad config.json itself
  }
  const manifest = {
    name: path.basename(path.resolve(dir)),
    config: 'run/config.json',
    checkpoint: `run/${path.basename(latest.file)}`,
    ...(files.has('metrics.jsonl') ? { metrics: 'run/metrics.jsonl' } : {}),
    ...(files.has('data.csv') ? { data: 'run/data.csv' } : {}),
  };
  files.set('manifest.json', `json:${JSON.stringify(manifest)}`);
  return files;
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function serveFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, cache: string): void {
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) return send(res, 404, 'not found\n');
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
}

/** Starts the server; resolves with it and its URL once listening. */
export async function startPlaygroundServer(opts: PlaygroundOptions = {}): Promise<{ server: http.Server; url: string }> {
  const root = path.resolve(opts.root ?? PLAYGROUND_DIR);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new UsageError(
      `the playground page is not built (${path.join(root, 'index.html')} is missing): run \`npm run build:web\` (or \`npx vite build web\`) in the dggf folder`,
    );
  }
  const run = opts.run ? runFiles(opts.run) : null;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (pathname.startsWith('/run/')) {
      const target = run?.get(pathname.slice('/run/'.length));
      if (!target) return send(res, 404, run ? 'not found\n' : 'no run: start the playground with --run DIR\n');
      if (target.startsWith('json:')) {
        res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
        return res.end(req.method === 'HEAD' ? undefined : target.slice(5));
      }
      return serveFile(req, res, target, 'no-store');
    }
    const rel = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 403, 'forbidden\n');
    // hashed assets never change; the page itself is revalidated
    serveFile(req, res, file, rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 5173;
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
  const actual = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shownHost}:${actual}/` };
}

/** `dggf playground [--port N] [--run DIR]`: serves until Ctrl+C (or SIGTERM). */
export async function playgroundCommand(o: { port?: number; host?: string; run?: string }): Promise<number> {
  const { server, url } = await startPlaygroundServer({ port: o.port, host: o.host, run: o.run });
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
