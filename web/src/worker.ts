/** The module worker the page trains in: the host (host.ts) behind postMessage. */
import { createHost } from './host.js';
import type { ToHost } from './protocol.js';

interface WorkerScope {
  postMessage(msg: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToHost>) => void) | null;
}

const scope = self as unknown as WorkerScope;
const host = createHost((msg, transfer) => scope.postMessage(msg, transfer ?? []), 'worker');
scope.onmessage = (e) => host(e.data);
