/**
 * [slow] The loaders' property (test/unit/properties.test.ts) end to end, through the built
 * `dggf train`: for random and mutated CSV files, configs, image folders and IDX files, the
 * command either trains (one iteration) or exits 2 with one line "dggf: error: …" naming the
 * input, never a stack trace; a refused input leaves no run folder behind.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';
import { configText, csvText, idxBytes, imageBytes } from '../helpers/inputs.js';

const RUNS = Number(process.env.DGGF_PROPERTY_CLI_RUNS ?? 8);
const ONE = ['--iterations', '1', '--checkpoint-every', '1', '--preview-every', '0', '--no-report'];
const POINTS = [...ONE, '--flow-steps', '2', '--batch', '8', '--hidden', '4', '--depth', '1'];

let k = 0;
const outcomes: Record<string, { trained: number; refused: number }> = {};
/** Runs `dggf train` on an input written by `write` (given a fresh folder); checks and counts the outcome. */
function trainsOrOneLine(write: (dir: string) => string[], what: string): void {
  const count = (outcomes[what] ??= { trained: 0, refused: 0 });
  const dir = tempDir(`prop-${what}-${k++}`);
  const out = path.join(dir, 'run');
  const args = ['train', ...write(dir), '--out', out];
  const r = runCli(args, { timeoutMs: 120_000 });
  if (r.code === 0) {
    count.trained++;
    return;
  }
  count.refused++;
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(-800)}`);
  const lines = errorLines(r.stderr).filter((l) => !/^(data|note):/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^dggf: error: /);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  assert.ok(!fs.existsSync(out), `a refused input left ${out}`);
}

after(() => {
  // how many inputs of each kind trained and how many were refused (the diagnostics of the run)
  process.stdout.write(`# outcomes: ${JSON.stringify(outcomes)}\n`);
});

test(`[slow] dggf train on ${RUNS} random CSV files: trains, or one line and exit 2`, () => {
  fc.assert(
    fc.property(csvText, (text) =>
      trainsOrOneLine((dir) => {
        const f = path.join(dir, 'points.csv');
        fs.writeFileSync(f, text);
        return ['--data', f, ...POINTS];
      }, 'csv'),
    ),
    { numRuns: RUNS, seed: 11 },
  );
});

test(`[slow] dggf train with ${RUNS} random --config files: trains, or one line and exit 2`, () => {
  fc.assert(
    fc.property(configText, (text) =>
      trainsOrOneLine((dir) => {
        const f = path.join(dir, 'c.json');
        fs.writeFileSync(f, text);
        return ['--data', '8gaussians', '--config', f, ...ONE];
      }, 'config'),
    ),
    { numRuns: RUNS, seed: 12 },
  );
});

test(`[slow] dggf train on ${RUNS} folders of random and mutated PNG/JPEG files: trains, or one line and exit 2`, () => {
  fc.assert(
    fc.property(fc.array(imageBytes, { minLength: 1, maxLength: 3 }), (images) =>
      trainsOrOneLine((dir) => {
        const d = path.join(dir, 'images');
        fs.mkdirSync(d);
        images.forEach((b, i) => fs.writeFileSync(path.join(d, `${i}.${b[0] === 0xff ? 'jpg' : 'png'}`), b));
        return ['--data', d, '--preset', 'emoji-cpu', '--size', '8', '--batch', '4', ...ONE];
      }, 'images'),
    ),
    { numRuns: RUNS, seed: 13 },
  );
});

test(`[slow] dggf train on ${RUNS} random and mutated IDX files: trains, or one line and exit 2`, () => {
  fc.assert(
    fc.property(idxBytes, fc.boolean(), (bytes, gz) =>
      trainsOrOneLine((dir) => {
        const f = path.join(dir, `x-idx3-ubyte${gz ? '.gz' : ''}`);
        fs.writeFileSync(f, gz ? zlib.gzipSync(bytes) : bytes);
        return ['--data', f, '--preset', 'mnist-cpu', '--batch', '4', ...ONE];
      }, 'idx'),
    ),
    { numRuns: RUNS, seed: 14 },
  );
});
