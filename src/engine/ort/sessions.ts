/**
 * The sessions a thread keeps (each thread, main or worker, has its own): graphs whose weights
 * are inputs are kept per graph; graphs with baked weights (conv nets, which ONNX Runtime runs
 * far faster with constant kernels) for the last few versions of their weights (a training
 * flow's change every iteration, a sampler's stay). Every session has its own intra-op pool.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { createSession } from './runtime.js';

/** Graphs with fed weights kept at once, and graphs with baked weights. */
const MAX_FED = 16;
const MAX_BAKED = 3;

interface BakedEntry {
  key: string;
  session: Promise<InferenceSession>;
}

const fed = new Map<string, Promise<InferenceSession>>();
let baked: BakedEntry[] = [];

function release(session: Promise<InferenceSession>): void {
  session.then((s) => s.release()).catch(() => {});
}

/** The session of a graph with fed weights, built once per key (and thread count). */
export function fedSession(key: string, threads: number, build: () => Uint8Array): Promise<InferenceSession> {
  const full = `${threads}:${key}`;
  let session = fed.get(full);
  if (session) {
    fed.delete(full); // most recently used last
  } else {
    session = createSession(build(), threads);
    session.catch(() => fed.delete(full));
  }
  fed.set(full, session);
  while (fed.size > MAX_FED) {
    const [oldest, s] = fed.entries().next().value as [string, Promise<InferenceSession>];
    fed.delete(oldest);
    release(s);
  }
  return session;
}

/** The session of a graph with baked weights, one per key (which holds the weights' versions) and thread count. */
export function bakedSession(key: string, threads: number, build: () => Promise<Uint8Array>): Promise<InferenceSession> {
  const full = `${threads}:${key}`;
  const found = baked.find((e) => e.key === full);
  if (found) {
    baked = [...baked.filter((e) => e !== found), found];
    return found.session;
  }
  const entry: BakedEntry = { key: full, session: build().then((model) => createSession(model, threads)) };
  entry.session.catch(() => (baked = baked.filter((e) => e !== entry)));
  baked.push(entry);
  while (baked.length > MAX_BAKED) release(baked.shift()!.session);
  return entry.session;
}

/** Frees every session of this thread. */
export async function releaseSessions(): Promise<void> {
  const all = [...fed.values(), ...baked.map((e) => e.session)];
  fed.clear();
  baked = [];
  await Promise.all(all.map((s) => s.then((x) => x.release()).catch(() => {})));
}

/** Sessions this thread holds now (tests: no growth). */
export function sessionCount(): number {
  return fed.size + baked.length;
}
