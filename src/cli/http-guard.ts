/**
 * What the playground's server checks before it serves anything: the Host header against an
 * allow-list (a DNS-rebinding page sends its own domain name), the request path (no NUL or
 * control characters, no backslashes, no hidden names), and the headers every response
 * carries (a strict Content-Security-Policy, no framing, no sniffing, no referrer).
 */
import os from 'node:os';

/** Sent with every response. 'wasm-unsafe-eval': the TF.js wasm backend compiles its module. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const unbracket = (h: string): string => h.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** Whether a listen address is a loopback one (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host);
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * Host names the server answers to: the loopback names, the listen address, for a wildcard
 * address this machine's own addresses and name, and `extra` (--allow-host).
 */
export function allowedHostNames(listenHost: string, extra: string[] = []): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const h = unbracket(listenHost);
  if (WILDCARDS.has(h)) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
    names.add(os.hostname().toLowerCase());
  } else {
    names.add(h);
  }
  for (const e of extra) names.add(unbracket(e));
  return names;
}

/** Whether a request's Host header names an allowed host and the server's port. */
export function hostAllowed(header: string | undefined, allowed: Set<string>, port: number): boolean {
  if (!header || header.length > 300 || /[\s/\\?#@]/.test(header)) return false;
  let url: URL;
  try {
    url = new URL(`http://${header}`);
  } catch {
    return false;
  }
  const p = url.port === '' ? 80 : Number(url.port);
  return p === port && allowed.has(unbracket(url.hostname));
}

/**
 * The decoded path of a request URL, or the status to answer instead: 400 when it cannot be
 * decoded or holds NUL, control characters or backslashes; 404 when a name in it starts with
 * '.' (hidden files, '..' after decoding).
 */
export function safeRequestPath(url: string | undefined): string | 400 | 404 {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return 400;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(pathname)) return 400;
  if (pathname.split('/').some((segment) => segment.startsWith('.'))) return 404;
  return pathname;
}
