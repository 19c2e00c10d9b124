/**
 * Starting the training host (../host.ts): in a module worker, or on the page's thread when
 * a worker cannot start (or its engine fails, or the URL asks with ?thread=main). Both answer
 * with the same messages; the returned `send` reaches whichever runs.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { FromHost } from '../protocol.js';
import type { Send } from './page-state.js';

export interface HostLink {
  /** Sends to the host; messages before it started are dropped (there is no session yet). */
  send: Send;
}

/** Starts the host with the TF.js backend `backend` ('auto' or a name); `onHost` gets its messages. */
export function startHost(backend: string, onHost: (msg: FromHost) => void): HostLink {
  const link: HostLink = { send: () => {} };
  const wasmPaths = {
    'tfjs-backend-wasm.wasm': new URL(wasmPlain, location.href).href,
    'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, location.href).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, location.href).href,
  };

  const onMainThread = async (): Promise<void> => {
    const { createHost } = await import('../host.js');
    const host = createHost((msg) => setTimeout(() => onHost(msg), 0), 'main');
    link.send = (msg) => host(msg);
    link.send({ type: 'init', backend, wasmPaths });
  };

  if (new URLSearchParams(location.search).get('thread') === 'main') {
    void onMainThread();
    return link;
  }
  let worker: Worker;
  try {
    worker = new Worker(new URL('../worker.ts', import.meta.url), { type: 'module' });
  } catch {
    void onMainThread(); // no module worker
    return link;
  }
  let settled = false;
  const fallBack = (): void => {
    if (settled) return;
    settled = true;
    worker.terminate();
    void onMainThread();
  };
  worker.onerror = () => fallBack();
  worker.onmessage = (e: MessageEvent<FromHost>) => {
    const msg = e.data;
    if (!settled && msg.type === 'fatal') return fallBack();
    if (msg.type === 'ready') settled = true;
    onHost(msg);
  };
  link.send = (msg, transfer) => worker.postMessage(msg, transfer ?? []);
  link.send({ type: 'init', backend, wasmPaths });
  return link;
}
