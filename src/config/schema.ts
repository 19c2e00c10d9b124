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

const mlpNetSchema = z
  .object({
    type: z.literal('mlp').optional(),
    hidden: positiveInt.max(4096),
    depth: z.number().int().min(0).max(32),
    activation: z.enum(ACTIVATIONS),
  })
  .strict();

const widths = z.array(positiveInt.max(2048)).min(1).max(12);

const cnnNetSchema = z
  .object({
    type: z.literal('cnn'),
    /** Widths: conv3×3 to the first, then one conv4×4 stride 2 per further width. */
    channels: widths,
    activation: z.enum(ACTIVATIONS),
    /**
     * How the last feature map becomes the output: 'mean' (global mean pool, then dense; the
     * default) or 'flatten' (dense over every position: the net sees where strokes are).
     */
    head: z.enum(['mean', 'flatten']).optional(),
    /** Dense hidden layers (widths) between the head's features and the output: a nonlinear read-out. */
    headHidden: z.array(positiveInt.max(8192)).max(8).optional(),
    /** Spectral normalisation of every kernel (W / σ(W)): a smoother ratio estimator. */
    spectralNorm: z.boolean().optional(),
  })
  .strict();

const resnetNetSchema = z
  .object({
    type: z.literal('resnet'),
    stem: positiveInt.max(2048),
    blocks: z.array(z.object({ channels: positiveInt.max(2048), down: z.boolean() }).strict()).min(1).max(64),
    activation: z.enum(ACTIVATIONS),
    spectralNorm: z.boolean().optional(),
  })
  .strict();

const basicResnetNetSchema = z
  .object({
    type: z.literal('basic-resnet'),
    stem: positiveInt.max(2048),
    /** Stages of post-activation BasicBlocks; the first block of a stage has the stage's stride. */
    stages: z
      .array(z.object({ channels: positiveInt.max(2048), blocks: positiveInt.max(64), stride: z.union([z.literal(1), z.literal(2)]) }).strict())
      .min(1)
      .max(16),
    /** SAGAN self-attention after this stage (1 = after the first); the stage needs ≥ 8 channels. */
    attentionAfter: positiveInt.max(16).optional(),
    activation: z.enum(ACTIVATIONS),
    spectralNorm: z.boolean().optional(),
  })
  .strict();

/** Self-attention sits after a stage that exists and has at least 8 channels (keys have C/8). */
function checkAttention(net: { type?: string; stages?: { channels: number }[]; attentionAfter?: number }, ctx: z.RefinementCtx): void {
  const after = net.attentionAfter;
  if (net.type !== 'basic-resnet' || after === undefined || !net.stages) return;
  if (after > net.stages.length) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['attentionAfter'], message: `there are ${net.stages.length} stages; attentionAfter must be 1 to ${net.stages.length}` });
  } else if (net.stages[after - 1].channels < 8) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['attentionAfter'], message: `self-attention needs at least 8 channels (keys have C/8); stage ${after} has ${net.stages[after - 1].channels}` });
  }
}

/** The net families as plain object schemas (a `--config` file's nets are their partial forms). */
const NET_SCHEMAS = [mlpNetSchema, cnnNetSchema, resnetNetSchema, basicResnetNetSchema] as const;

/** An MLP (points; `type` may be omitted), a small CNN, our pre-activation ResNet or the authors' BasicBlock ResNet (images). */
export const netSchema = z.union(NET_SCHEMAS).superRefine(checkAttention);

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
    /**
     * The last steps of sampling run without noise (ν = 0), so the last noise draws are not left
     * on the samples: they settle onto thin supports (default 0).
     */
    sampleQuietSteps: z.number().int().min(0).optional(),
    /**
     * The last steps of each training flow run without noise (default 0). With the sampling
     * schedule's quiet steps inside K, the net is trained on the distribution it samples, not on
     * one its quiet steps then move past (bench/QUALITY.md, experiment 8).
     */
    trainQuietSteps: z.number().int().min(0).optional(),
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
    /** Image folders: side length images are centre-cropped and resized to. */
    imageSize: z.number().int().min(8).max(512).optional(),
    /** Images: std of the Gaussian dequantisation noise on data (default: the dataset's, 0.03). */
    dequantize: z.number().min(0).max(1).optional(),
    /**
     * Instance noise: std of Gaussian noise added to both the flowed particles and the data
     * batch in the ratio loss only (the flow itself is unchanged). It hides differences finer
     * than the noise from the estimator, which keeps it from winning on high-frequency texture
     * (default 0: none). The logged KL/χ² estimate is then that of the noised distributions.
     */
    instanceNoise: z.number().min(0).max(10).optional(),
    /** Images: random horizontal flips of the data (default: the dataset's; never for digits). */
    flip: z.boolean().optional(),
    /**
     * Image-to-image translation: the source domain, a dataset spec like `data` (a built-in
     * image dataset name, an image folder, an IDX file). The prior (`prior: 'data'`) then draws
     * the source's training images; the held-out split is left for translation.
     */
    priorData: z.string().min(1).optional(),
    /**
     * `prior: 'data-gmm'`: the mixture's number of Gaussians (points: default 32,
     * DEFAULT_MIXTURE_COMPONENTS; images: k-means clusters, default one per 85 images, 1 to 64, defaultImageMixtureComponents).
     */
    priorComponents: z.number().int().min(1).max(1024).optional(),
    /**
     * `prior: 'data-gmm'`: variance added to every component after the fit, as a share of the
     * data's mean variance (default 0.05 for points, 0 for images; 0 = the mixture as fitted).
     */
    priorWiden: z.number().min(0).max(100).optional(),
  })
  .strict();

/**
 * What a `--config` file may hold: any subset of the fields (laid over the preset; a net's
 * fields are merged with the preset's net, so each is optional too), and a `$schema` reference
 * for editors. The JSON Schema shipped in schema/config.schema.json is generated from it.
 */
export const configFileSchema = runConfigSchema
  .extend({ net: z.union(NET_SCHEMAS.map((o) => o.partial()) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]) })
  .partial()
  .extend({ $schema: z.string().optional() })
  .strict();

/** The JSON Schema of a `--config` file (draft 2020-12). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { io: 'input' }),
    title: 'dggf run configuration (a --config file)',
    description: 'Fields laid over the preset and under the command-line options. See docs/configs.md and docs/cli.md.',
  };
}

export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = Partial<Omit<RunConfig, 'net'>> & { net?: Partial<RunConfig['net']> | Record<string, unknown> };

export class ConfigError extends Error {}

/** Validates a config, turning zod issues into one readable line naming the fields. */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const netProblem = describeNetProblem((raw as { net?: unknown } | null)?.net);
  if (netProblem) throw new ConfigError(`${source}: ${netProblem}`);
  const parsed = runConfigSchema.safeParse(raw);
  if (parsed.success) {
    const problem = pairingProblem(parsed.data.loss, parsed.data.divergence);
    if (problem) throw new ConfigError(`${source}: loss/divergence: ${problem}`);
    const priorProblem = dataPriorProblem(parsed.data);
    if (priorProblem) throw new ConfigError(`${source}: ${priorProblem}`);
    return parsed.data;
  }
  const issues = parsed.error.issues.map((i) => {
    const where = i.path.length ? i.path.join('.') : '(top level)';
    return `${where}: ${i.message}`;
  });
  throw new ConfigError(`${source}: ${issues.join('; ')}`);
}

/** The data prior needs its source (priorData) and vice versa, and trains on the raw [−1, 1] images. */
function dataPriorProblem(c: RunConfig): string | null {
  if (c.prior === 'data' && c.priorData === undefined) {
    return "prior: 'data' draws the images of a source dataset: set priorData (--prior-data SOURCE)";
  }
  if (c.priorData !== undefined && c.prior !== 'data') {
    return `prior: '${c.prior}' conflicts with priorData '${c.priorData}' (a data prior draws the source's images); drop one of them`;
  }
  for (const key of ['priorComponents', 'priorWiden'] as const) {
    if (c[key] !== undefined && c.prior !== 'data-gmm') {
      return `${key} ${c[key]} shapes the data-gmm prior, but the prior is '${c.prior}': drop it or use --prior data-gmm`;
    }
  }
  if (c.priorData !== undefined && c.normalize) {
    return 'normalize: a data prior draws the source images in [−1, 1] and the target is trained on the same scale; drop --normalize';
  }
  return null;
}

/** A readable message for a bad `net` (a union's own error only says "invalid input"). */
function describeNetProblem(net: unknown): string | null {
  if (net === undefined) return null;
  if (typeof net !== 'object' || net === null || Array.isArray(net)) return 'net: expected an object';
  const type = (net as { type?: unknown }).type ?? 'mlp';
  const schemas: Record<string, z.ZodType> = { mlp: mlpNetSchema, cnn: cnnNetSchema, resnet: resnetNetSchema, 'basic-resnet': basicResnetNetSchema.superRefine(checkAttention) };
  const schema = typeof type === 'string' ? schemas[type] : undefined;
  if (!schema) return `net.type: expected one of ${Object.keys(schemas).join(', ')}, got ${JSON.stringify(type)}`;
  const r = schema.safeParse(net);
  if (r.success) return null;
  return r.error.issues
    .map((i) => {
      const where = ['net', ...i.path].join('.');
      const msg = i.code === 'unrecognized_keys' ? `unknown field(s) for a '${type}' net: ${i.keys.join(', ')}` : i.message;
      return `${where}: ${msg}`;
    })
    .join('; ');
}
