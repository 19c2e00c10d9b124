/**
 * A classifier's file: the TF.js layers format (model.json + weights.bin) through a custom
 * IOHandler on node:fs, each file written atomically (weights first, so a model.json always
 * finds its weights); model.json carries a `dggf` block (image shape, classes, class names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { tf } from '../engine/index.js';
import type { ImageShape } from '../data/types.js';
import { ensureDir, writeFileAtomic } from '../util/fs-atomic.js';
import { PACKAGE_VERSION } from '../util/version.js';
import {
  ClassifierFileError,
  classifierFromModel,
  FEATURES_LAYER,
  shapeText,
  type ClassifierHead,
  type ImageClassifier,
} from '../nets/classifier.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** The `dggf` block of model.json. */
interface DggfModelInfo {
  kind: 'image-classifier';
  image: ImageShape;
  classes: number;
  filters: number[];
  featureDim: number;
  head: ClassifierHead;
  classNames?: string[];
  version: string;
}

/** Save as dir/model.json + dir/weights.bin (TF.js layers format), each written atomically. */
export async function saveClassifier(clf: ImageClassifier, dir: string): Promise<void> {
  ensureDir(dir);
  let artifacts: tf.io.ModelArtifacts | null = null;
  await clf.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts | null;
  if (!a || !a.weightSpecs || a.weightData === undefined) throw new Error('classifier: TF.js returned no weights to save');
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  const info: DggfModelInfo = {
    kind: 'image-classifier',
    image: { ...clf.image },
    classes: clf.classes,
    filters: [...clf.filters],
    featureDim: clf.featureDim,
    head: clf.head,
    ...(clf.classNames ? { classNames: [...clf.classNames] } : {}),
    version: PACKAGE_VERSION,
  };
  const json = {
    format: 'layers-model',
    generatedBy: a.generatedBy ?? 'TensorFlow.js',
    convertedBy: `dggf ${PACKAGE_VERSION}`,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
    weightsBytes: weights.byteLength,
    dggf: info,
  };
  writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
  writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json) + '\n');
}

export interface ClassifierExpectation {
  image?: ImageShape;
  classes?: number;
}

function isShape(v: unknown): v is ImageShape {
  const s = v as ImageShape;
  return (
    typeof s === 'object' && s !== null && Number.isInteger(s.height) && Number.isInteger(s.width) && (s.channels === 1 || s.channels === 3)
  );
}

/**
 * Load a classifier saved by `saveClassifier`, checking its input image shape and class count
 * (against the file's own topology and, when given, against `expect`). Errors name the file
 * and say what was expected and what was found.
 */
export async function loadClassifier(dir: string, expect: ClassifierExpectation = {}): Promise<ImageClassifier> {
  const modelFile = path.join(dir, MODEL_FILE);
  const weightsFile = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(modelFile)) throw new ClassifierFileError(`${modelFile}: no such file (no classifier saved in ${dir})`);
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    weightsBytes?: number;
    dggf?: DggfModelInfo;
  };
  try {
    json = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  } catch (e) {
    throw new ClassifierFileError(`${modelFile}: not readable JSON (${(e as Error).message})`);
  }
  const info = json.dggf;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest) || !info || info.kind !== 'image-classifier' || !isShape(info.image)) {
    throw new ClassifierFileError(`${modelFile}: not a dggf image classifier (missing modelTopology, weightsManifest or the dggf block)`);
  }
  if (expect.image) {
    const e = expect.image;
    if (e.height !== info.image.height || e.width !== info.image.width || e.channels !== info.image.channels) {
      throw new ClassifierFileError(
        `${modelFile}: classifier input is ${shapeText(info.image)} images, expected ${shapeText(e)}`,
      );
    }
  }
  if (expect.classes !== undefined && expect.classes !== info.classes) {
    throw new ClassifierFileError(`${modelFile}: classifier has ${info.classes} classes, expected ${expect.classes}`);
  }
  if (!fs.existsSync(weightsFile)) throw new ClassifierFileError(`${weightsFile}: no such file (model.json is there, its weights are not)`);
  const buf = fs.readFileSync(weightsFile);
  if (json.weightsBytes !== undefined && buf.byteLength !== json.weightsBytes) {
    throw new ClassifierFileError(`${weightsFile}: ${buf.byteLength} bytes, expected ${json.weightsBytes} (file truncated or from another save)`);
  }
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  let model: LayersModel;
  try {
    model = await loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (e) {
    throw new ClassifierFileError(`${modelFile}: TF.js could not load it (${(e as Error).message})`);
  }
  // the topology itself must agree with the dggf block
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  const got: ImageShape = { height: inShape[1] ?? -1, width: inShape[2] ?? -1, channels: (inShape[3] ?? -1) as 1 | 3 };
  const problem =
    got.height !== info.image.height || got.width !== info.image.width || got.channels !== info.image.channels
      ? `its layers take ${shapeText(got)} images, its dggf block says ${shapeText(info.image)}`
      : outShape[1] !== info.classes
        ? `its layers output ${outShape[1]} classes, its dggf block says ${info.classes}`
        : null;
  if (problem) {
    model.dispose();
    throw new ClassifierFileError(`${modelFile}: inconsistent file: ${problem}`);
  }
  try {
    model.getLayer(FEATURES_LAYER);
  } catch {
    model.dispose();
    throw new ClassifierFileError(`${modelFile}: no '${FEATURES_LAYER}' layer`);
  }
  return classifierFromModel(
    model,
    { image: info.image, classes: info.classes, filters: info.filters ?? [], featureDim: info.featureDim ?? 128, head: info.head ?? 'flatten' },
    info.classNames,
  );
}
