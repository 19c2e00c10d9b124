/**
 * Point sets as CSV: one point per row, one coordinate per column.
 *
 * Reading: the delimiter is chosen from the first non-blank, non-comment row — comma if it
 * has one, else tab, else semicolon, else runs of whitespace — and used for the whole file.
 * A header row is optional; the first row is taken as a header when none of its fields is a
 * number. Blank lines and lines starting with `#` are skipped; CRLF / CR line ends and a
 * UTF-8 byte-order mark are fine; fields may be wrapped in double quotes. Every problem is a
 * DataError naming the file, line and column.
 *
 * Limits (./limits.ts): at most MAX_POINT_DIM columns (checked on the first row, before the
 * rest is parsed) and MAX_CSV_BYTES bytes.
 *
 * Writing (./csv-writer.ts, Node only): a header (`x0,x1,…` by default), then the points, each
 * value in the shortest decimal that reads back to the same float32 (formatted here).
 */
import { readFileSync, statSync } from 'node:fs';
import { DataError } from './types.js';
import { MAX_CSV_BYTES, MAX_POINT_DIM, formatBytes } from './limits.js';

export interface CsvPoints {
  /** Row-major n×dim. */
  points: Float32Array;
  n: number;
  dim: number;
  /** Column names, when the file has a header row. */
  header?: string[];
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;
const FLOAT32_MAX = 3.4028234663852886e38;

type Delimiter = ',' | '\t' | ';' | 'whitespace';

function delimiterName(d: Delimiter): string {
  return d === ',' ? 'comma' : d === '\t' ? 'tab' : d === ';' ? 'semicolon' : 'whitespace';
}

function detectDelimiter(line: string): Delimiter {
  if (line.includes(',')) return ',';
  if (line.includes('\t')) return '\t';
  if (line.includes(';')) return ';';
  return 'whitespace';
}

function unquote(f: string): string {
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).trim() : f;
}

function splitFields(line: string, d: Delimiter): string[] {
  const parts = d === 'whitespace' ? line.split(/\s+/) : line.split(d);
  return parts.map((p) => unquote(p.trim()));
}

function show(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}

function readText(file: string): string {
  try {
    const size = statSync(file).size;
    if (size > MAX_CSV_BYTES) {
      throw new DataError(`${file} is ${formatBytes(size)}, more than the ${formatBytes(MAX_CSV_BYTES)} a CSV file of points may have`);
    }
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DataError(`${file}: file not found, expected a CSV file of points`);
    }
    if (code === 'EISDIR') {
      throw new DataError(`${file} is a directory, expected a CSV file of points`);
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DataError(`${file} cannot be read (permission denied), expected a readable CSV file`);
    }
    throw new DataError(`${file} cannot be read (${(err as Error).message}), expected a readable CSV file`);
  }
}

/** Parse CSV text; `file` is used only in error messages. */
export function parseCsvPoints(text: string, file: string): CsvPoints {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);

  let delimiter: Delimiter | undefined;
  let header: string[] | undefined;
  let headerLine = 0;
  let dim = 0;
  let firstDataLine = 0;
  const values: number[] = [];

  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    const line = lines[li].trim();
    if (line === '' || line.startsWith('#')) continue;

    if (delimiter === undefined) {
      delimiter = detectDelimiter(line);
      const fields = splitFields(line, delimiter);
      const isHeader = fields.every((f) => !NUMBER_RE.test(f) && !NON_FINITE_RE.test(f));
      if (isHeader) {
        if (fields.length > MAX_POINT_DIM) {
          throw new DataError(`${file} line ${lineNo}: a header of ${fields.length} columns, more than the ${MAX_POINT_DIM} coordinates a point may have`);
        }
        header = fields;
        headerLine = lineNo;
        dim = fields.length;
        continue;
      }
    }

    const fields = splitFields(line, delimiter);
    if (fields.length > MAX_POINT_DIM && (dim === 0 || header !== undefined)) {
      throw new DataError(
        `${file} line ${lineNo}: ${fields.length} columns, more than the ${MAX_POINT_DIM} coordinates a point may have ` +
          '(expected one point per row, one coordinate per column)',
      );
    }
    if (dim === 0) {
      dim = fields.length;
      firstDataLine = lineNo;
    } else if (fields.length !== dim) {
      const where = firstDataLine > 0 ? `line ${firstDataLine}` : `the header on line ${headerLine}`;
      throw new DataError(
        `${file} line ${lineNo}: got ${fields.length} column${fields.length === 1 ? '' : 's'} ` +
          `(${delimiterName(delimiter)}-separated), expected ${dim} as on ${where}`,
      );
    }
    if (firstDataLine === 0) firstDataLine = lineNo;

    for (let c = 0; c < fields.length; c++) {
      const f = fields[c];
      const col = c + 1;
      const name = header && header[c] !== undefined && header[c] !== '' ? ` ('${show(header[c])}')` : '';
      if (NUMBER_RE.test(f)) {
        const v = Number(f);
        // beyond float32's range once rounded (what a writer's shortest decimal of ±3.4028235e38 rounds to is fine)
        if (!Number.isFinite(Math.fround(v))) {
          throw new DataError(
            `${file} line ${lineNo}: column ${col}${name} is '${show(f)}', ` +
              `expected a finite number within float32 range (|x| ≤ 3.4e38)`,
          );
        }
        values.push(v);
      } else if (NON_FINITE_RE.test(f)) {
        throw new DataError(`${file} line ${lineNo}: column ${col}${name} is '${show(f)}', expected a finite number`);
      } else if (f === '') {
        throw new DataError(`${file} line ${lineNo}: column ${col}${name} is empty, expected a number`);
      } else {
        const hint =
          lineNo === firstDataLine && header === undefined
            ? ' (a header row is recognised only when none of its fields is a number)'
            : '';
        throw new DataError(`${file} line ${lineNo}: column ${col}${name} is '${show(f)}', expected a number${hint}`);
      }
    }
  }

  if (delimiter === undefined) {
    throw new DataError(
      `${file} is empty (no rows besides blank lines and # comments), ` +
        `expected rows of numbers, one point per row`,
    );
  }
  if (values.length === 0) {
    throw new DataError(
      `${file} has only a header row (line ${headerLine}) and no data rows, expected at least one row of numbers`,
    );
  }
  if (dim < 1) {
    throw new DataError(`${file}: found ${dim} columns, expected at least 1`);
  }
  const points = Float32Array.from(values);
  const result: CsvPoints = { points, n: values.length / dim, dim };
  if (header) result.header = header;
  return result;
}

/** Read a CSV file of points (see the module comment for the accepted format). */
export function loadCsvPoints(file: string): CsvPoints {
  return parseCsvPoints(readText(file), file);
}

/** The shortest decimal string that reads back (through float32) to `Math.fround(v)`. */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** The header row of a CSV of `dim` columns: `names` checked, or x0,x1,…; `file` names the target in errors. */
export function csvHeader(file: string, dim: number, names?: string[]): string {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new DataError(`writing ${file}: dim is ${dim}, expected an integer ≥ 1`);
  }
  const cols = names ?? Array.from({ length: dim }, (_, i) => `x${i}`);
  if (cols.length !== dim) {
    throw new DataError(`writing ${file}: header has ${cols.length} names, expected ${dim} (one per column)`);
  }
  cols.forEach((h, i) => {
    if (/[,\r\n"]/.test(h) || h.trim() === '' || NUMBER_RE.test(h.trim()) || NON_FINITE_RE.test(h.trim())) {
      throw new DataError(
        `writing ${file}: header name ${i + 1} is '${show(h)}', ` +
          `expected a non-empty, non-numeric name without commas, quotes or line breaks`,
      );
    }
  });
  return cols.join(',') + '\n';
}

/**
 * CSV rows (each ending in a newline) of `points` (row-major, `dim` columns), values as
 * float32; `firstRow` numbers the rows in errors (0-based index of the first).
 */
export function csvRows(file: string, points: ArrayLike<number>, dim: number, firstRow = 0): string {
  if (points.length % dim !== 0) {
    throw new DataError(
      `writing ${file}: ${points.length} values is not a whole number of rows of ${dim}, expected a multiple of ${dim}`,
    );
  }
  const n = points.length / dim;
  const rows: string[] = new Array<string>(n);
  const row: string[] = new Array<string>(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const v = points[i * dim + j];
      if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
        throw new DataError(`writing ${file}: row ${firstRow + i + 1}, column ${j + 1} is ${v}, expected a finite float32 value`);
      }
      row[j] = formatFloat32(v);
    }
    rows[i] = row.join(',');
  }
  return n === 0 ? '' : rows.join('\n') + '\n';
}
