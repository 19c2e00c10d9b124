/**
 * JSON.parse keeps the last of two equal keys without a word ("lr": 5 twice). This finds the
 * first key repeated within one object (keys compared after unescaping), with its path and line.
 */
import { visit } from 'jsonc-parser';

export interface DuplicateKey {
  /** e.g. `lr`, `net.hidden`, `blocks[2].channels`. */
  path: string;
  /** 1-based line of the second occurrence. */
  line: number;
}

export function findDuplicateKey(text: string): DuplicateKey | null {
  const objects: Set<string>[] = [];
  let found: DuplicateKey | null = null;
  visit(text, {
    onObjectBegin: () => {
      objects.push(new Set());
    },
    onObjectEnd: () => {
      objects.pop();
    },
    onObjectProperty: (property, _offset, _length, startLine, _startCharacter, pathSupplier) => {
      const keys = objects.at(-1);
      if (!keys || found) return;
      if (keys.has(property)) {
        const parent = pathSupplier()
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .replace(/^\./, '');
        found = { path: parent ? `${parent}.${property}` : property, line: startLine + 1 };
      }
      keys.add(property);
    },
  });
  return found;
}
