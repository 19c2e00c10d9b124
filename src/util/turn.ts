/**
 * One turn of Node's event loop. A long loop awaits it between units of work, so signal
 * handlers (Ctrl-C) and timers run even while the engine computes synchronously.
 */
export const eventLoopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
