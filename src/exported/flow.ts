/**
 * A `dggf export --format tfjs` folder, loaded and sampled with TF.js alone (the browser
 * entry's sampler): particles from the prior follow x ← x − η∇ₓ f′(r(x)) + ν·ξ for the
 * manifest's steps (ξ = 0 in the last quiet steps), and come back in the data's units (points)
 * or as HWC images in [−1, 1], with their shape. A seed gives the same samples as
 * `node examples/tfjs/sample.mjs DIR N SEED`.
 */
import { tf, loadLayersModel, type LayersModel } from '../engine/tf-browser.js';
import { ExportReadError, parseManifest, type ExportManifest } from './manifest.js';
import { potentialFor } from './potential.js';
import { drawPrior, priorValues } from './prior.js';
import { seededNormals } from './seeded-normals.js';
import { toReader, type ExportReader, type ExportSource } from './sources.js';

export interface ExportSampleOptions {
  /** Seeds the prior draws and the noise (default 0). */
  seed?: number;
  /** Starting points [n, dim] in the standardised space instead of prior draws (needed when the prior is 'data'). */
  x0?: Float32Array;
  /** Called after each step (k = 1 … steps); a returned promise is awaited (e.g. to let the page draw). */
  onStep?: (k: number, steps: number) => void | Promise<void>;
}

export interface ExportSamples {
  /** Row-major values: points in the data's units, or images HWC in [−1, 1]. */
  values: Float32Array;
  /** [n, dim] for points, [n, height, width, channels] for images. */
  shape: number[];
}

const TF = { scale: (x: tf.Tensor, c: number) => tf.mul(x, c), exp: tf.exp, neg: tf.neg, softplus: tf.softplus };

async function readJson(read: ExportReader, name: string): Promise<unknown> {
  const text = new TextDecoder().decode(await read(name));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ExportReadError(`${name}: not JSON (${(e as Error).message})`);
  }
}

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

async function readLayersModel(read: ExportReader, file: string): Promise<LayersModel> {
  const json = (await readJson(read, file)) as { modelTopology?: unknown; weightsManifest?: WeightsGroup[] };
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new ExportReadError(`${file}: expected a TF.js layers model (modelTopology and weightsManifest)`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(await read(p));
  }
  return loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(parts) }));
}

export class ExportedFlow {
  private readonly drift: (x: tf.Tensor) => tf.Tensor;

  private constructor(
    readonly manifest: ExportManifest,
    private readonly model: LayersModel,
    private readonly prior: Float32Array | null,
  ) {
    const potential = potentialFor(manifest.run.divergence, manifest.ratioNet.outputIs);
    this.drift = tf.grad((x) => tf.sum(potential(TF, model.apply(x) as tf.Tensor)));
  }

  /** Reads the export from a folder URL, picked files, or a reader; checks its manifest. */
  static async load(source: ExportSource): Promise<ExportedFlow> {
    const read = toReader(source);
    const manifest = parseManifest(new TextDecoder().decode(await read('manifest.json')), 'dggf-tfjs-flow');
    const prior = manifest.prior.name === 'data-gaussian' || manifest.prior.name === 'data-gmm' ? priorValues(await read(manifest.prior.file)) : null;
    const model = await readLayersModel(read, manifest.ratioNet.file);
    const input = model.inputs[0]?.shape;
    if (!input || input[input.length - 1] !== manifest.dim) {
      model.dispose();
      throw new ExportReadError(`${manifest.ratioNet.file}: input shape ${JSON.stringify(input)} does not take manifest.json's dim ${manifest.dim}`);
    }
    return new ExportedFlow(manifest, model, prior);
  }

  /** The shape of one sample: [dim] for points, [height, width, channels] for images. */
  get sampleShape(): number[] {
    const { image, dim } = this.manifest;
    return image ? [image.height, image.width, image.channels] : [dim];
  }

  /** n samples: prior draws (or `x0`) flowed for the manifest's steps. */
  async sample(n: number, opts: ExportSampleOptions = {}): Promise<ExportSamples> {
    const { dim, flow, image, normalizer } = this.manifest;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`sample: n must be a positive integer, got ${n}`);
    if (opts.x0 && opts.x0.length !== n * dim) throw new RangeError(`sample: x0 has ${opts.x0.length} values, expected n × dim = ${n * dim}`);
    const rng = seededNormals(opts.seed ?? 0);
    let x: tf.Tensor = tf.tensor2d(opts.x0 ?? drawPrior(this.manifest, this.prior, n, rng), [n, dim]);
    for (let k = 0; k < flow.steps; k++) {
      const quiet = k >= flow.steps - flow.quietSteps;
      const next = tf.tidy(() => {
        let y = tf.sub(x, tf.mul(this.drift(x), flow.eta));
        if (flow.noise > 0 && !quiet) y = tf.add(y, tf.mul(tf.tensor2d(rng.normals(n * dim), [n, dim]), flow.noise));
        return y;
      });
      x.dispose();
      x = next;
      await opts.onStep?.(k + 1, flow.steps);
    }
    const values = (await x.data()) as Float32Array;
    x.dispose();
    if (image) return { values: values.map((v) => Math.min(1, Math.max(-1, v))), shape: [n, ...this.sampleShape] };
    return { values: values.map((v, i) => v * normalizer.std[i % dim] + normalizer.mean[i % dim]), shape: [n, dim] };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** ExportedFlow.load: reads a `dggf export --format tfjs` folder (URL, picked files or a reader). */
export const loadExportedFlow = (source: ExportSource): Promise<ExportedFlow> => ExportedFlow.load(source);
