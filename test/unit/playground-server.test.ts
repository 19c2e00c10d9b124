/**
 * The playground's server (issue 20, items 1 and 5): it survives any request path (a fuzz of
 * 10,000 random and hostile paths, sent to 127.0.0.1 only), serves only files inside its web
 * root and the run folder, answers only to known Host names (DNS rebinding), sends a strict
 * CSP and X-Frame-Options: DENY, binds 127.0.0.1 by default and warns for other addresses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import fc from 'fast-check';
import { startPlaygroundServer } from '../../src/cli/commands/playground.js';
import { writeCheckpoint } from '../../src/train/checkpoint.js';
import { Rng } from '../../src/util/rng.js';

const SECRET = 'SECRET-OUTSIDE-THE-ROOTS-7f3a';

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One raw HTTP/1.1 request to 127.0.0.1 (the request target sent byte for byte, no client-side normalisation). */
function raw(port: number, target: string, host: string | null = `127.0.0.1:${port}`, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s to ${JSON.stringify(target)}`));
    }, 10_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {}); // a reset after the answer is fine; no answer is caught by 'close'
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer to ${JSON.stringify(target)}: ${JSON.stringify(text.slice(0, 80))}`));
      const [head, ...rest] = text.split('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(Buffer.concat([Buffer.from(`${method} `), Buffer.from(target, 'utf8'), Buffer.from(` HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`)]));
  });
}

let work: string;
let root: string;
let runDir: string;
let server: http.Server;
let port: number;
let notes: string[];

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-pg-'));
  root = path.join(work, 'web');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>playground</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
  fs.writeFileSync(path.join(root, '.hidden'), 'hidden');
  fs.writeFileSync(path.join(work, 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(work, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  fs.symlinkSync(work, path.join(root, 'up'));
  // a run folder whose config names a file outside it as its data (as in the issue: /etc/passwd)
  runDir = path.join(work, 'run');
  fs.mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ config: { data: path.join(work, 'secret.txt') } }));
  writeCheckpoint(path.join(runDir, 'checkpoints'), { iteration: 5, rng: new Rng(1).state(), adamStep: 5, tensors: [{ name: 'w', shape: [2], values: new Float32Array([1, 2]) }] });
  ({ server, notes } = await startPlaygroundServer({ port: 0, root, run: runDir }));
  port = (server.address() as net.AddressInfo).port;
});

after(() => {
  server?.close();
  server?.closeAllConnections();
});

test('binds 127.0.0.1 by default; --host other than loopback warns', async () => {
  assert.equal((server.address() as net.AddressInfo).address, '127.0.0.1');
  assert.ok(!notes.some((n) => /warning/.test(n)), notes.join('\n'));
  const open = await startPlaygroundServer({ port: 0, root, host: '0.0.0.0' });
  try {
    assert.match(open.notes[0], /^warning: --host 0\.0\.0\.0 is not a loopback address: anyone who can reach this machine on port \d+ can open the playground/);
  } finally {
    open.server.close();
  }
});

test('a NUL byte, control characters and backslashes in the path: 400, and the server stays up', async () => {
  for (const target of ['/%00', '/index.html%00.png', '/run/%00', '/%0a', '/a%5c..%5cindex.html', '/%E0%A4%A', '/%']) {
    const r = await raw(port, target);
    assert.equal(r.status, 400, target);
  }
  assert.equal((await raw(port, '/')).status, 200);
});

test('only files inside the web root and the run folder: symlinks out, hidden files and a data file outside the run are not served', async () => {
  for (const target of ['/assets/link.txt', '/up/secret.txt', '/.hidden', '/../secret.txt', '/%2e%2e/secret.txt', '/run/data.csv', '/run/..%2fsecret.txt']) {
    const r = await raw(port, target);
    assert.equal(r.status, 404, `${target}: ${r.status}`);
    assert.ok(!r.body.includes(SECRET), target);
  }
  const manifest = JSON.parse((await raw(port, '/run/manifest.json')).body) as Record<string, string>;
  assert.equal(manifest.data, undefined);
  assert.equal(manifest.checkpoint, 'run/iter-0000005.ckpt');
  assert.equal((await raw(port, '/run/iter-0000005.ckpt')).status, 200);
  assert.ok(notes.some((n) => n.includes(`the run's data ${path.join(work, 'secret.txt')} lies outside the run folder, so it is not served`)), notes.join('\n'));
  // a copy inside the run folder is served
  fs.writeFileSync(path.join(runDir, 'data.csv'), 'x,y\n1,2\n');
  const inside = await startPlaygroundServer({ port: 0, root, run: runDir });
  try {
    const p = (inside.server.address() as net.AddressInfo).port;
    assert.equal(JSON.parse((await raw(p, '/run/manifest.json')).body).data, 'run/data.csv');
    assert.equal((await raw(p, '/run/data.csv')).body, 'x,y\n1,2\n');
  } finally {
    inside.server.close();
    fs.rmSync(path.join(runDir, 'data.csv'));
  }
});

test('the Host header must name this server (DNS rebinding): other names, ports or none get 403', async () => {
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
    assert.equal((await raw(port, '/', host)).status, 200, host);
  }
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, `127.0.0.1:${port}@evil.example`, '', null]) {
    const r = await raw(port, '/', host);
    assert.ok(r.status === 403 || r.status === 400, `${host}: ${r.status}`);
    assert.ok(!r.body.includes('<title>playground'), `${host}: the page was served`);
  }
  const allowed = await startPlaygroundServer({ port: 0, root, allowHosts: ['box.lan'] });
  try {
    const p = (allowed.server.address() as net.AddressInfo).port;
    assert.equal((await raw(p, '/', `box.lan:${p}`)).status, 200);
  } finally {
    allowed.server.close();
  }
});

test('every answer carries a strict Content-Security-Policy, X-Frame-Options DENY and nosniff', async () => {
  for (const target of ['/', '/assets/app.js', '/nope', '/%00', '/run/manifest.json']) {
    const r = await raw(port, target);
    assert.equal(r.headers['x-frame-options'], 'DENY', target);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', target);
    const csp = r.headers['content-security-policy'] ?? '';
    for (const d of ["default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), `${target}: ${csp}`);
    assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|\*/, target);
  }
  assert.equal((await raw(port, '/', `127.0.0.1:${port}`, 'POST')).status, 405);
});

test('fuzz: 10,000 random and hostile paths to 127.0.0.1: no crash, no 5xx, nothing outside the roots, the server still serves', async (t) => {
  const hostile = fc.constantFrom('..', '.', '%2e%2e', '%2E%2e', '%252e%252e', '%2f', '%5c', '\\', '%00', '%c0%ae', '%ff', '%', '~', '', 'run', 'assets', 'up',
    'index.html', 'secret.txt', 'config.json', 'manifest.json', 'data.csv', 'link.txt', '.hidden', 'etc', 'passwd', '%0d%0a', ';', '?', '#', '*', ' ');
  const paths = fc.oneof(
    fc.array(hostile, { maxLength: 10 }).map((p) => '/' + p.join('/')),
    fc.webPath(),
    fc.string({ maxLength: 60 }).map((s) => '/' + s),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/' + s),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => '/run/' + encodeURIComponent(s)),
    fc.constantFrom('*', 'http://evil.example/secret.txt', `http://127.0.0.1:1/../secret.txt`, '//etc/passwd', '/' + 'a/'.repeat(2000)),
  );
  const targets = fc.sample(paths, { numRuns: 10_000, seed: 20 });
  assert.equal(targets.length, 10_000);
  const counts = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const target = targets[next++];
      let key: string;
      try {
        const r = await raw(port, target);
        assert.ok(r.status < 500, `${JSON.stringify(target)}: ${r.status}`);
        assert.ok(!r.body.includes(SECRET), `${JSON.stringify(target)} served the file outside the roots`);
        key = String(r.status);
      } catch (e) {
        // the HTTP parser may drop a request whose raw bytes break the request line (no answer at all)
        if (!/no HTTP answer/.test((e as Error).message)) throw e;
        key = 'closed';
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  t.diagnostic(`answers to 10,000 paths: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
  assert.ok(server.listening);
  assert.equal((await raw(port, '/')).status, 200, 'still serving');
  assert.equal((await raw(port, '/assets/app.js')).body, 'export {};');
});
