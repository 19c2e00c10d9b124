/**
 * Property-based tests (fast-check) of the loaders and the option parsing (issue 20): whatever
 * the input (random text and bytes, and valid inputs mutated: flipped bytes, truncations,
 * headers that lie), a loader either returns data that is what it claims to be, or throws an
 * error the CLI reports with exit code 2 as one line without a stack. Nothing else: no
 * TypeError, RangeError or memory blow-up. test/slow/properties-cli.test.ts runs a sample of
 * such inputs through the built `dggf` itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { parseCsvPoints, csvHeader, csvRows } from '../../src/data/csv.js';
import { parseIdx, readIdxImages } from '../../src/data/images/idx.js';
import { decodeImageBytes, encodePng } from '../../src/data/images/decode.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { parseCommandLine } from '../../src/cli/main.js';
import { reportedError } from '../../src/cli/errors.js';
import { MAX_IMAGE_PIXELS, MAX_POINT_DIM } from '../../src/data/limits.js';
import { commandLine, configText, csvText, idxBytes, imageBytes } from '../helpers/inputs.js';

const RUNS = Number(process.env.DGGF_PROPERTY_RUNS ?? 300);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dggf-prop-'));

/** `fn` returns, or throws what the CLI prints as one line with exit code 2; returns the value or null. */
function loadsOrUsageError<T>(fn: () => T, what: string): T | null {
  try {
    return fn();
  } catch (e) {
    const reported = reportedError(e);
    assert.ok(reported, `${what}: not a user error: ${(e as Error)?.stack ?? e}`);
    assert.equal(reported.code, 2, `${what}: exit ${reported.code}`);
    assert.doesNotMatch((e as Error).message, /\n|\s+at \S+ \(/, `${what}: one line, no stack`);
    return null;
  }
}

// ---- CSV ---------------------------------------------------------------------------------------

test('CSV: any text loads as finite float32 rows of one width (≤ the column limit), or is a one-line DataError naming the file', () => {
  fc.assert(
    fc.property(csvText, (text) => {
      const got = loadsOrUsageError(() => parseCsvPoints(text, 'in.csv'), JSON.stringify(text.slice(0, 80)));
      if (got === null) return;
      assert.ok(got.dim >= 1 && got.dim <= MAX_POINT_DIM);
      assert.equal(got.points.length, got.n * got.dim);
      assert.ok(got.n >= 1);
      assert.ok(got.points.every(Number.isFinite));
    }),
    { numRuns: RUNS * 3, seed: 1 },
  );
  // and the error names the file
  assert.throws(() => parseCsvPoints('1,2\n3', 'named.csv'), (e: unknown) => (e as Error).message.startsWith('named.csv line 2:'));
});

test('CSV: points written and read back are the same float32 values', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 }), (dim, values) => {
      const n = Math.max(1, Math.floor(values.length / dim));
      const pts = Float32Array.from({ length: n * dim }, (_, i) => values[i % values.length]);
      const back = parseCsvPoints(csvHeader('p.csv', dim) + csvRows('p.csv', pts, dim), 'p.csv');
      assert.equal(back.dim, dim);
      assert.deepEqual(back.points, pts.map((v) => (v === 0 ? 0 : v))); // -0 is written as 0
    }),
    { numRuns: RUNS, seed: 2 },
  );
});

// ---- IDX ---------------------------------------------------------------------------------------

test('IDX: any bytes, plain or gzipped, load as count×height×width images that match the data, or are a one-line DataError', () => {
  let k = 0;
  fc.assert(
    fc.property(idxBytes, fc.constantFrom('plain', 'gzip', 'gzip-cut'), (bytes, form) => {
      const file = path.join(dir, `p${k++}-idx3-ubyte`);
      const gz = form === 'plain' ? bytes : zlib.gzipSync(bytes);
      fs.writeFileSync(file, form === 'gzip-cut' ? gz.subarray(0, Math.max(2, gz.length >> 1)) : gz);
      const got = loadsOrUsageError(() => readIdxImages(file), `${form} ${Buffer.from(bytes.subarray(0, 24)).toString('hex')}`);
      fs.rmSync(file);
      if (got === null) return;
      assert.ok(got.count >= 1 && got.height >= 1 && got.width >= 1);
      assert.equal(got.pixels.length, got.count * got.height * got.width);
      assert.deepEqual(parseIdx(bytes, 'again', 3).dims, [got.count, got.height, got.width]);
    }),
    { numRuns: RUNS, seed: 3 },
  );
});

// ---- PNG / JPEG --------------------------------------------------------------------------------

test('PNG/JPEG: any bytes decode to width×height RGBA within the pixel limit, or are a one-line DataError naming the file', () => {
  fc.assert(
    fc.property(imageBytes, (bytes) => {
      const got = loadsOrUsageError(() => decodeImageBytes(bytes, 'in.img'), Buffer.from(bytes.subarray(0, 32)).toString('hex'));
      if (got === null) return;
      assert.ok(got.width >= 1 && got.height >= 1 && got.width * got.height <= MAX_IMAGE_PIXELS);
      assert.equal(got.rgba.length, got.width * got.height * 4);
    }),
    { numRuns: RUNS * 2, seed: 4 },
  );
  assert.equal(decodeImageBytes(encodePng(new Uint8Array(16).fill(9), 2, 2), 'ok.png').width, 2);
});

// ---- config files ------------------------------------------------------------------------------

test('--config: any file gives a validated config or a one-line ConfigError naming the file', () => {
  const file = path.join(dir, 'c.json');
  fc.assert(
    fc.property(configText, (text) => {
      fs.writeFileSync(file, text);
      const got = loadsOrUsageError(() => resolveConfig({ configFile: file, overrides: { data: '8gaussians' }, defaults: {} }), text.slice(0, 120));
      if (got === null) return;
      assert.ok(got.config.lr > 0 && Number.isFinite(got.config.lr));
      assert.ok(Number.isInteger(got.config.iterations) && got.config.iterations > 0);
    }),
    { numRuns: RUNS, seed: 5 },
  );
});

// ---- option parsing ----------------------------------------------------------------------------

test('option parsing: any command line parses to checked values, or gives exit 2 with one line "dggf: error: …" and no stack', async () => {
  await fc.assert(
    fc.asyncProperty(commandLine, async (args) => {
      const r = await parseCommandLine(args);
      if (r.code === 2) {
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        assert.equal(lines.length, 1, `${JSON.stringify(args)}: ${r.stderr}`);
        assert.match(lines[0], /^dggf: error: /);
        return;
      }
      assert.equal(r.code, 0, `${JSON.stringify(args)}: exit ${r.code}\n${r.stderr}`);
      if (!r.options) return; // --help, --version
      for (const [k, v] of Object.entries(r.options)) {
        if (typeof v === 'number') assert.ok(Number.isFinite(v), `${k} = ${v}`);
      }
      const o = r.options as Record<string, number | undefined>;
      for (const k of ['lr', 'eta', 'iterations', 'batch', 'n', 'flowSteps', 'checkpointEvery', 'size']) if (o[k] !== undefined) assert.ok(o[k]! > 0, `${k} = ${o[k]}`);
      if (o.port !== undefined) assert.ok(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535);
    }),
    { numRuns: RUNS * 3, seed: 6 },
  );
});
