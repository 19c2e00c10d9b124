/**
 * dggf — Deep Generative Wasserstein Gradient Flows (DGGF / FDRL) in TypeScript.
 * The library behind the `dggf` command; see README.md for a tour.
 */
export { initEngine, engineInfo, activeEngine, ENGINES, tf } from './engine/index.js';
export type { BackendChoice, BackendName, EngineInfo, EngineChoice, EngineName } from './engine/index.js';

export { DIVERGENCES, getDivergence } from './divergences/index.js';
export type { Divergence, DivergenceName, NetOutput } from './divergences/index.js';
export { LOSSES, getLoss, pairingProblem } from './losses/index.js';
export type { LossName, RatioLoss } from './losses/index.js';
export { PRIORS, gaussianPrior, uniformPrior, dataGaussianPrior, priorFromState } from './priors/index.js';
export { dataMixturePrior, fitGaussianMixture } from './priors/mixture.js';
export type { Prior, PriorName, PriorState } from './priors/index.js';
export { createMlp, ACTIVATIONS } from './nets/mlp.js';
export type { MlpSpec, Activation } from './nets/mlp.js';
export { createRatioNet, netSpec } from './nets/ratio-net.js';
export type { RatioNet, NetSpec, NetConfig } from './nets/ratio-net.js';
export type { CnnSpec, ResNetSpec, ConvSpec } from './nets/conv.js';
export type { BasicResNetSpec, BasicStage } from './nets/basic-resnet.js';
export { Ema } from './nets/ema.js';
export {
  createClassifier,
  classifierLogProbs,
  classifierLogits,
  guidanceFunction,
  ClassifierFileError,
} from './nets/classifier.js';
export { trainClassifier, classifierAccuracy, datasetClassCount } from './train/classifier.js';
export { saveClassifier, loadClassifier } from './train/classifier-file.js';
export type { ImageClassifier, ClassifierSpec, ClassifierHead } from './nets/classifier.js';
export type { ClassifierExpectation } from './train/classifier-file.js';
export type { ClassifierProgress, TrainClassifierOptions, TrainClassifierResult } from './train/classifier.js';
export { Adam } from './optim/adam.js';

export { runFlow, drift, ratioTerm } from './flow/index.js';
export type { FlowTerm, RatioTerm, ClassifierTerm, PotentialTerm, FlowSettings, FlowResult, FlowRecording } from './flow/index.js';
export { classifierGuidanceTerm, logProbTerm } from './flow/guidance.js';
export type { GuidanceOptions } from './flow/guidance.js';
export { dataPrior, dataPriorState, isDataPrior, checkSameImageShape } from './priors/index.js';
export type { DataPrior, DataPriorState } from './priors/index.js';
export { loadPriorSource, priorForRun } from './priors/image-source.js';
export { FlowModel } from './flow/model.js';
export type { Derived, SampleOptions, SampleResult, FlowFromOptions } from './flow/model.js';

export { PRESETS, PRESET_NAMES } from './config/presets.js';
export { resolveConfig } from './config/resolve.js';
export { runConfigSchema, validateConfig, ConfigError } from './config/schema.js';
export type { RunConfig } from './config/schema.js';

export { Trainer, deriveSetup, learningRateAt, NonFiniteLossError, LossExplosionError, TrainingDivergedError } from './train/trainer.js';
export type { StepStats } from './train/trainer.js';
export { trainRun, loadRun, reconcileConfig } from './train/run.js';
export type { TrainEvent, TrainRunOptions, TrainRunResult } from './train/run.js';
export { Run, runPaths, readMetrics } from './train/run-folder.js';
export { readCheckpoint, writeCheckpoint, latestCheckpoint } from './train/checkpoint.js';

export * from './data/index.js';
export { fitNormalizer, normalize, denormalize } from './data/normalizer.js';
export * from './eval/index.js';
export { evaluateModel } from './report/evaluate-run.js';
export { writeRunReport } from './report/run-report.js';
export { Rng } from './util/rng.js';
