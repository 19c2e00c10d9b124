/**
 * Reads the manifest.json of a `dggf export` (written by src/export/manifest.ts) without
 * Node: checks the fields a sampler uses and says, in one line, which one is wrong.
 */
import type { BinaryArray, ExportManifest, ExportedPrior } from '../export/manifest.js';

export type { BinaryArray, ExportManifest, ExportedPrior };

/** A file of an export that is missing, unreadable or not what dggf writes. */
export class ExportReadError extends Error {
  override name = 'ExportReadError';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 60) ?? String(v));

/** The value at `path` (dotted) of `root`, checked by `ok`; `expected` says what it should be. */
function field<T>(root: Json, path: string, ok: (v: unknown) => v is T, expected: string): T {
  let v: unknown = root;
  for (const key of path.split('.')) v = isObject(v) ? v[key] : undefined;
  if (!ok(v)) throw new ExportReadError(`manifest.json: ${path}: expected ${expected}, got ${show(v)}`);
  return v;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isPositive = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNumber);
const isBinary = (v: unknown): v is BinaryArray => isObject(v) && isCount(v.offset) && isCount(v.length) && Array.isArray(v.shape) && v.shape.every(isCount);

/** The prior's arrays must lie inside prior.bin and have the shapes the flow needs. */
function checkPrior(m: Json, dim: number): void {
  const name = field(m, 'prior.name', isString, "a prior name ('gaussian', 'uniform', 'data-gaussian', 'data-gmm' or 'data')");
  if (name === 'gaussian' || name === 'data') return;
  if (name === 'data-gmm') {
    field(m, 'prior.file', isString, 'the file of the prior\'s arrays');
    const weights = field(m, 'prior.weights', isBinary, '{ offset, length, shape }');
    const k = weights.length;
    if (k < 1) throw new ExportReadError('manifest.json: prior.weights: expected at least one component');
    const means = field(m, 'prior.means', isBinary, '{ offset, length, shape }');
    if (means.length !== k * dim) throw new ExportReadError(`manifest.json: prior.means: expected ${k}×${dim} values (components × dim), got ${means.length}`);
    if ('chols' in (m.prior as Json)) {
      const chols = field(m, 'prior.chols', isBinary, '{ offset, length, shape }');
      if (chols.length !== k * dim * dim) throw new ExportReadError(`manifest.json: prior.chols: expected ${k}×${dim}×${dim} values, got ${chols.length}`);
      return;
    }
    const factors = field(m, 'prior.factors', isBinary, '{ offset, length, shape } (or prior.chols)');
    if (factors.shape.length !== 3 || factors.shape[0] !== k || factors.shape[1] !== dim || factors.shape[2] < 1 || factors.length !== k * dim * factors.shape[2]) {
      throw new ExportReadError(`manifest.json: prior.factors: expected shape [${k}, ${dim}, rank] (components, dim, rank), got ${show(factors.shape)}`);
    }
    const diagStds = field(m, 'prior.diagStds', isBinary, '{ offset, length, shape }');
    if (diagStds.length !== k * dim) throw new ExportReadError(`manifest.json: prior.diagStds: expected ${k}×${dim} values, got ${diagStds.length}`);
    field(m, 'prior.clamp', (v): v is boolean => typeof v === 'boolean', 'true or false');
    return;
  }
  if (name === 'uniform') {
    field(m, 'prior.low', isNumber, 'a number');
    field(m, 'prior.high', isNumber, 'a number');
    return;
  }
  if (name !== 'data-gaussian') throw new ExportReadError(`manifest.json: prior.name: expected 'gaussian', 'uniform', 'data-gaussian', 'data-gmm' or 'data', got ${show(name)}`);
  field(m, 'prior.file', isString, 'the file of the prior\'s arrays');
  const mean = field(m, 'prior.mean', isBinary, '{ offset, length, shape }');
  if (mean.length !== dim) throw new ExportReadError(`manifest.json: prior.mean: expected ${dim} values (dim), got ${mean.length}`);
  const p = m.prior as Json;
  if ('chol' in p) {
    const chol = field(m, 'prior.chol', isBinary, '{ offset, length, shape }');
    if (chol.length !== dim * dim) throw new ExportReadError(`manifest.json: prior.chol: expected ${dim}×${dim} values, got ${chol.length}`);
  } else {
    const factor = field(m, 'prior.factor', isBinary, '{ offset, length, shape } (or prior.chol)');
    if (factor.shape.length !== 2 || factor.shape[0] !== dim || factor.length !== dim * factor.shape[1]) {
      throw new ExportReadError(`manifest.json: prior.factor: expected shape [${dim}, rank], got ${show(factor.shape)}`);
    }
    const diag = field(m, 'prior.diagStd', isBinary, '{ offset, length, shape }');
    if (diag.length !== dim) throw new ExportReadError(`manifest.json: prior.diagStd: expected ${dim} values, got ${diag.length}`);
  }
  field(m, 'prior.clamp', (v): v is boolean => typeof v === 'boolean', 'true or false');
}

/** The manifest in `text`, checked to be a dggf export of `format` that a sampler can use. */
export function parseManifest(text: string, format: ExportManifest['format']): ExportManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ExportReadError(`manifest.json: not JSON (${(e as Error).message})`);
  }
  if (!isObject(m)) throw new ExportReadError('manifest.json: expected a JSON object');
  const found = field(m, 'format', isString, `'${format}'`);
  if (found !== format) throw new ExportReadError(`manifest.json: format: expected '${format}' (dggf export --format ${format === 'dggf-tfjs-flow' ? 'tfjs' : 'onnx'}), got '${found}'`);
  const dim = field(m, 'dim', isPositive, 'a positive integer');
  const image = m.image;
  if (image !== null) {
    const h = field(m, 'image.height', isPositive, 'a positive integer');
    const w = field(m, 'image.width', isPositive, 'a positive integer');
    const c = field(m, 'image.channels', isPositive, 'a positive integer');
    if (h * w * c !== dim) throw new ExportReadError(`manifest.json: image: ${h}×${w}×${c} does not match dim ${dim}`);
  }
  for (const key of ['normalizer.mean', 'normalizer.std']) {
    const values = field(m, key, isNumbers, `${dim} numbers`);
    if (values.length !== dim) throw new ExportReadError(`manifest.json: ${key}: expected ${dim} numbers (dim), got ${values.length}`);
  }
  field(m, 'ratioNet.file', isString, 'the model file');
  field(m, 'ratioNet.outputIs', (v): v is string => v === 'ratio' || v === 'log-ratio', "'ratio' or 'log-ratio'");
  field(m, 'run.divergence', isString, 'a divergence name');
  field(m, 'flow.eta', isNumber, 'a number');
  field(m, 'flow.noise', isNumber, 'a number');
  const steps = field(m, 'flow.steps', isCount, 'a whole number of steps');
  const quiet = field(m, 'flow.quietSteps', isCount, 'a whole number of steps');
  if (quiet > steps) throw new ExportReadError(`manifest.json: flow.quietSteps: expected at most flow.steps (${steps}), got ${quiet}`);
  checkPrior(m, dim);
  return m as unknown as ExportManifest;
}
