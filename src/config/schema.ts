/**
 * The run configuration: one validated, fully resolved object (preset → config file → CLI
 * options), stored in the run folder's config.json.
 */
import { z } from 'zod';
import { DIVERGENCES } from '../divergences/index.js';
import { LOSSES, pairingProblem } from '../losses/index.js';
import { PRIORS } from '../priors/index.js';
import { ACTIVATIONS } from '../nets/mlp.js';

const positiveInt = z.number().int().positive();

export const netSchema = z
  .object({
    hidden: positiveInt.max(4096),
    depth: z.number().int().min(0).max(32),
    activation: z.enum(ACTIVATIONS),
  })
  .strict();

export const runConfigSchema = z
  .object({
    preset: z.string(),
    data: z.string().min(1),
    divergence: z.enum(DIVERGENCES),
    loss: z.enum(LOSSES),
    prior: z.enum(PRIORS),
    net: netSchema,
    iterations: positiveInt,
    flowSteps: positiveInt.max(100000),
    /** Extra flow steps at sampling time (κ; the authors use 20/10 for images, 0 for toys). */
    sampleExtraSteps: z.number().int().min(0),
    eta: z.number().positive().finite(),
    noise: z.number().min(0).finite(),
    batch: positiveInt.max(1 << 20),
    lr: z.number().positive().finite(),
    lrMilestones: z.array(positiveInt),
    lrGamma: z.number().positive().max(1),
    emaDecay: z.number().min(0).max(1),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    /** Standardise the data per dimension (train in that space, samples mapped back). */
    normalize: z.boolean(),
    checkpointEvery: positiveInt,
    logEvery: positiveInt,
    /** Write a sample scatter PNG into samples/ this often (0: only at the end). */
    previewEvery: z.number().int().min(0),
  })
  .strict();

export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = Partial<Omit<RunConfig, 'net'>> & { net?: Partial<RunConfig['net']> };

export class ConfigError extends Error {}

/** Validates a config, turning zod issues into one readable line naming the fields. */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (parsed.success) {
    const problem = pairingProblem(parsed.data.loss, parsed.data.divergence);
    if (problem) throw new ConfigError(`${source}: loss/divergence: ${problem}`);
    return parsed.data;
  }
  const issues = parsed.error.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '(top level)';
    return `${where}: ${i.message}`;
  });
  throw new ConfigError(`${source}: ${issues.join('; ')}`);
}
