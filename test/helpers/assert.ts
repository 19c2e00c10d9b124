/** Assertions shared by the data tests. */
import assert from 'node:assert/strict';
import { DataError } from '../../src/data/types.js';

/** `fn` throws a DataError whose message contains every string and matches every pattern. */
export function assertDataError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    for (const p of parts) {
      if (typeof p === 'string') assert.ok(err.message.includes(p), `message '${err.message}' lacks '${p}'`);
      else assert.match(err.message, p);
    }
    return true;
  });
}
