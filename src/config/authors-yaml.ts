/**
 * The authors' YAML configs (clear-nus/fdrl configs/*.yaml) as our config fields: each of
 * their keys is mapped to ours, accepted as bookkeeping with nothing to map (paths, logging,
 * devices), or refused with one line naming it. Their image settings pick our paper preset of
 * that size (its net is theirs for that size), their toy settings `paper-toy`.
 */
import { parse } from 'yaml';
import { PRESETS } from './presets.js';
import { ConfigError, type RunConfigInput } from './schema.js';

export interface AuthorsConfig {
  config: RunConfigInput;
  /** One line each: what was not taken over, and why. */
  notes: string[];
}

/** Their keys with nothing to map here: where they write results, how often they print, which GPU. */
const BOOKKEEPING = ['data_dir', 'exp_root_dir', 'phase', 'use_wandb', 'wandb_notes', 'print_steps', 'device', 'test_batch_size', 'debug'];

/** Their numeric keys and ours (their "epochs" are training iterations). */
const NUMBERS: Record<string, keyof RunConfigInput> = {
  learning_rate: 'lr',
  n_epochs: 'iterations',
  scheduler_gamma: 'lrGamma',
  log_steps: 'logEvery',
  save_steps: 'checkpointEvery',
  eta: 'eta',
  noise_factor: 'noise',
  n_flow_steps: 'flowSteps',
  train_batch_size: 'batch',
};

const DIVERGENCE: Record<string, string> = { pearson: 'chi2', chi2: 'chi2', kl: 'kl', js: 'js', jensenshannon: 'js', logd: 'logd' };
const LOSS: Record<string, string> = { lsif: 'lsif', lr: 'lr', logistic: 'lr', kl: 'kl', kliep: 'kl' };
/** Their dataset names that are ours too. */
const DATASETS: Record<string, string> = { swissroll: 'swissroll', '8gaussians': '8gaussians', '25gaussians': '25gaussians', checkerboard: 'checkerboard', moons: 'moons', rings: 'rings', pinwheel: 'pinwheel', '2spirals': '2spirals', mnist: 'mnist' };

function lookup(table: Record<string, string>, file: string, key: string, value: unknown): string {
  const v = table[String(value).toLowerCase().replace(/[-_ ]/g, '')];
  if (!v) throw new ConfigError(`${file}: ${key}: '${value}' is not supported (expected one of ${[...new Set(Object.keys(table))].join(', ')})`);
  return v;
}

const num = (file: string, key: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${file}: ${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
};

/** Parses one of their YAML files into our config fields. */
export function authorsConfig(text: string, file: string): AuthorsConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: expected a YAML mapping of config keys`);
  const y = raw as Record<string, unknown>;
  const notes: string[] = [];
  const c: RunConfigInput = {};
  const net: Record<string, unknown> = {};
  let selfAttention: boolean | undefined;

  const size = y.img_size === undefined ? undefined : num(file, 'img_size', y.img_size);
  if (size !== undefined) {
    if (![32, 64, 128].includes(size)) throw new ConfigError(`${file}: img_size: ${size} is not supported (expected 32, 64 or 128, the paper presets' sizes)`);
    c.preset = `paper-${size}`;
  } else if (y.in_dim !== undefined || y.hidden_dim !== undefined) {
    c.preset = 'paper-toy';
  }

  for (const [key, value] of Object.entries(y)) {
    if (key in NUMBERS) {
      (c as Record<string, unknown>)[NUMBERS[key]] = num(file, key, value);
      continue;
    }
    switch (key) {
      case 'scheduler_steps':
        if (!Array.isArray(value)) throw new ConfigError(`${file}: scheduler_steps: expected a list of iterations, got ${JSON.stringify(value)}`);
        c.lrMilestones = value.map((v) => num(file, key, v));
        break;
      case 'loss_function':
        c.loss = lookup(LOSS, file, key, value) as RunConfigInput['loss'];
        break;
      case 'f_divergence':
        c.divergence = lookup(DIVERGENCE, file, key, value) as RunConfigInput['divergence'];
        break;
      case 'ema':
        if (value === false) c.emaDecay = 0;
        break;
      case 'ema_rate':
        if (y.ema !== false) c.emaDecay = num(file, key, value);
        break;
      case 'img_size':
        c.imageSize = size;
        break;
      case 'n_channels':
      case 'in_dim':
        notes.push(`${key}: taken from the data, not the config`);
        break;
      case 'dataset': {
        const ours = DATASETS[String(value).toLowerCase()];
        if (ours) c.data = ours;
        else notes.push(`dataset: '${value}' is not built in here; give its images with --data DIR`);
        break;
      }
      case 'model': {
        const name = String(value);
        const preset = name === 'resnetshallow' ? PRESETS['paper-translate-64'] : name === 'resnet' && c.preset ? PRESETS[c.preset] : undefined;
        if (!preset) throw new ConfigError(`${file}: model: '${name}' is not supported${name === 'resnet' ? ' without img_size' : ''} (expected resnet with img_size 32, 64 or 128${PRESETS['paper-translate-64'] ? ', or resnetshallow' : ''})`);
        if (name === 'resnetshallow') c.preset = 'paper-translate-64';
        Object.assign(net, preset.config.net);
        break;
      }
      case 'spectral_norm':
        if (value === true) net.spectralNorm = true;
        else if (value === false) net.spectralNorm = false;
        else throw new ConfigError(`${file}: spectral_norm: expected true or false, got ${JSON.stringify(value)}`);
        break;
      case 'self_attn':
        if (typeof value !== 'boolean') throw new ConfigError(`${file}: self_attn: expected true or false, got ${JSON.stringify(value)}`);
        selfAttention = value;
        break;
      case 'hidden_dim':
        net.hidden = num(file, key, value);
        break;
      case 'n_hidden_layers':
        net.depth = num(file, key, value);
        break;
      default:
        if (!BOOKKEEPING.includes(key)) throw new ConfigError(`${file}: '${key}' is not a key of the authors' configs that dggf supports`);
    }
  }
  if (selfAttention === true) {
    if (size === undefined) throw new ConfigError(`${file}: self_attn: true needs img_size (self-attention is a layer of the authors' image nets)`);
    // where their src/models.py places it: after layer1 at 32×32, after layer2 at 64×64 and 128×128
    net.attentionAfter = size === 32 ? 1 : 2;
  } else if (selfAttention === false) {
    delete net.attentionAfter;
    // undefined overrides the preset's attention when the nets are merged (paper-translate-64 has it)
    if (c.preset && (PRESETS[c.preset]?.config.net as Record<string, unknown> | undefined)?.attentionAfter !== undefined) net.attentionAfter = undefined;
  }
  // spectral_norm: false on a net without the option stays absent (our default)
  if (net.spectralNorm === false && !('type' in net)) delete net.spectralNorm;
  if (Object.keys(net).length) c.net = net;
  return { config: c, notes };
}
