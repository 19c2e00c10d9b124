/**
 * Builds a run's config: preset defaults, then a JSON config file, then explicit options.
 * Records which keys the user set, so an existing run can be checked against them. With a
 * source domain (`priorData`) the prior is recorded as 'data' and the data is not normalised;
 * an explicit other prior or --normalize is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PRESETS, PRESET_NAMES, imageExtraSteps } from './presets.js';
import { TOY_DATASET_NAMES } from '../data/toy2d.js';
import { IMAGE_DATASET_NAMES } from '../data/images/index.js';
import type { ResolveOptions } from '../data/index.js';
import { memoryDataName, memoryDataSpec } from '../data/in-memory.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { authorsConfig } from './authors-yaml.js';
import { ConfigError, runConfigSchema, validateConfig, type RunConfig, type RunConfigInput } from './schema.js';

export interface ResolvedConfig {
  config: RunConfig;
  explicitKeys: (keyof RunConfig)[];
  /** What the config file's reading did not take over, one line each (for the user). */
  notes: string[];
}

/**
 * A --config file: our JSON fields (optionally with "$schema"), a run folder's config.json (its
 * config is reused), or one of the authors' YAML configs (mapped, ./authors-yaml.ts).
 */
function readConfigFile(file: string): { fields: RunConfigInput; notes: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (/\.ya?ml$/i.test(file)) {
    const { config, notes } = authorsConfig(text, file);
    return { fields: checkFields(config as Record<string, unknown>, file), notes };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: expected a JSON object of config fields`);
  }
  const dup = findDuplicateKey(text);
  if (dup) throw new ConfigError(`${file} line ${dup.line}: field '${dup.path}' is given twice, expected each field once`);
  let fields = raw as Record<string, unknown>;
  const notes: string[] = [];
  if ('dggf' in fields && 'config' in fields && 'derived' in fields) {
    // a run folder's config.json: its config, not what the run derived from its data
    const stored = fields.config;
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw new ConfigError(`${file}: config: expected the run's config object`);
    fields = stored as Record<string, unknown>;
    notes.push(`${file}: a run's config.json: its config is used (seed ${fields.seed ?? 0}, data ${fields.data ?? '?'}); options override it`);
  }
  const { $schema: _schema, ...rest } = fields;
  return { fields: checkFields(rest, file), notes };
}

/** The fields of a config file, checked to be ours (each problem one line naming the field). */
function checkFields(raw: Record<string, unknown>, file: string): RunConfigInput {
  const net = raw.net;
  if (net !== undefined && (typeof net !== 'object' || net === null || Array.isArray(net))) {
    throw new ConfigError(`${file}: net: expected an object of net fields (e.g. {"hidden": 64}), got ${JSON.stringify(net)}`);
  }
  const known = Object.keys(runConfigSchema.shape);
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new ConfigError(`${file}: unknown field '${k}' (known: ${known.join(', ')})`);
  }
  return raw as RunConfigInput;
}

/** A file/folder path is stored absolute, so the run resumes, samples and evaluates from any folder. */
function dataSpec(spec: string): string {
  const named = TOY_DATASET_NAMES.includes(spec as never) || IMAGE_DATASET_NAMES.includes(spec as never) || memoryDataName(spec) !== null;
  return !named && fs.existsSync(spec) ? path.resolve(spec) : spec;
}

/** How a run's config shapes its dataset (image size, flips, dequantisation). */
export function datasetOptions(config: RunConfig): ResolveOptions {
  return { imageSize: config.imageSize, flip: config.flip, dequantize: config.dequantize };
}

type NetFields = Record<string, unknown>;

/** Later net fields win; a net of another type replaces the earlier one instead of mixing. */
function mergeNet(base: NetFields, over: NetFields | undefined): NetFields {
  if (!over) return base;
  const typeOf = (n: NetFields) => (n.type as string | undefined) ?? 'mlp';
  return 'type' in over && typeOf(over) !== typeOf(base) ? over : { ...base, ...over };
}

/**
 * The config of a run. `dataset`: the data the run trains on when the caller holds it in memory
 * (library use: `finiteDataset`, `makeImageDataset`); it needs no data spec and is recorded as
 * `memory:NAME` (docs/library.md), unless `overrides.data` names it.
 */
export function resolveConfig(opts: {
  preset?: string;
  configFile?: string;
  overrides: RunConfigInput;
  defaults: { data?: string; seed?: number };
  dataset?: { name: string };
}): ResolvedConfig {
  const file = opts.configFile ? readConfigFile(opts.configFile) : { fields: {}, notes: [] };
  const fromFile = file.fields;
  const presetName = opts.preset ?? fromFile.preset ?? 'toy';
  const preset = PRESETS[presetName];
  if (!preset) throw new ConfigError(`preset: unknown preset '${presetName}' (expected one of ${PRESET_NAMES.join(', ')})`);
  const explicit = new Set<keyof RunConfig>();
  for (const [k, v] of Object.entries(fromFile)) if (v !== undefined) explicit.add(k as keyof RunConfig);
  for (const [k, v] of Object.entries(opts.overrides)) if (v !== undefined) explicit.add(k as keyof RunConfig);
  if (opts.preset) explicit.add('preset');
  const data = opts.dataset
    ? (opts.overrides.data ?? memoryDataSpec(opts.dataset.name))
    : (opts.overrides.data ?? fromFile.data ?? opts.defaults.data ?? preset.data);
  if (data === undefined) {
    const why = file.notes.find((n) => n.startsWith('dataset:'));
    throw new ConfigError(`--data is required to start a new run (a toy dataset such as 8gaussians, or a CSV file of points)${why ? `; ${opts.configFile}: ${why}` : ''}`);
  }
  const definedOverrides = Object.fromEntries(Object.entries(opts.overrides).filter(([, v]) => v !== undefined));
  const merged = {
    seed: opts.defaults.seed ?? 0,
    ...preset.config,
    ...fromFile,
    ...definedOverrides,
    data: dataSpec(data),
    preset: presetName,
    net: mergeNet(mergeNet(preset.config.net, fromFile.net), opts.overrides.net),
  };
  if (merged.priorData !== undefined) {
    // a source domain makes the prior 'data'; a prior or normalisation chosen explicitly is refused
    const priorData = merged.priorData;
    const from = explicit.has('priorData') ? `--prior-data ${priorData}` : `the source domain ${priorData} of preset ${presetName}`;
    if (explicit.has('prior') && merged.prior !== 'data') {
      throw new ConfigError(
        `prior: --prior ${merged.prior} conflicts with ${from} (the source's images are the prior); drop --prior or pick another preset`,
      );
    }
    if (explicit.has('normalize') && merged.normalize) {
      throw new ConfigError(`normalize: --normalize is not supported with --prior-data ${priorData} (both domains are trained as [−1, 1] images); drop it`);
    }
    merged.prior = 'data';
    merged.normalize = false;
    merged.priorData = dataSpec(priorData);
  }
  if (preset.kind === 'images' && !explicit.has('sampleExtraSteps')) {
    merged.sampleExtraSteps = imageExtraSteps(merged.prior as RunConfig['prior'], preset.config.sampleExtraSteps, preset.config.prior);
  }
  const source = opts.configFile ? `config (${path.basename(opts.configFile)} + options)` : 'config';
  return { config: validateConfig(merged, source), explicitKeys: [...explicit], notes: file.notes };
}
