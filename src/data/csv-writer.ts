/**
 * Writing points as CSV (Node only; the formatting is in ./csv.ts): a header row, then the
 * points in any number of chunks (so a large sample streams to disk with flat memory), written
 * under a temporary name and put in place only when complete (../util/fs-atomic.ts).
 */
import { AtomicFile } from '../util/fs-atomic.js';
import { csvHeader, csvRows } from './csv.js';

export class CsvPointsWriter {
  private readonly out: AtomicFile;
  private rows = 0;

  /** Checks the header, then opens the temporary file and writes it. */
  constructor(
    readonly file: string,
    readonly dim: number,
    header?: string[],
  ) {
    const head = csvHeader(file, dim, header);
    this.out = new AtomicFile(file);
    this.out.write(head);
  }

  /** Appends rows (row-major, `dim` values each); a bad value aborts the file. */
  append(points: ArrayLike<number>): void {
    let text: string;
    try {
      text = csvRows(this.file, points, this.dim, this.rows);
    } catch (e) {
      this.out.abort();
      throw e;
    }
    this.out.write(text);
    this.rows += points.length / this.dim;
  }

  /** Rows written so far. */
  get count(): number {
    return this.rows;
  }

  commit(): void {
    this.out.commit();
  }

  abort(): void {
    this.out.abort();
  }
}

/**
 * Write `points` (row-major, `dim` columns; values stored as float32) to `file` as CSV with a
 * header row (`x0,x1,…` unless `header` is given), atomically: a bad value leaves no file.
 */
export function writeCsvPoints(file: string, points: ArrayLike<number>, dim: number, header?: string[]): void {
  const w = new CsvPointsWriter(file, dim, header);
  w.append(points);
  w.commit();
}
