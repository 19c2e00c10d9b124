/**
 * `dggf <command>`: argument parsing and validation only; the work is in the library.
 * Exit codes: 0 ok, 1 internal error, 2 bad input (one line naming what was wrong),
 * 3 training stopped because the loss became NaN/Inf.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DIVERGENCES } from '../divergences/index.js';
import { LOSSES } from '../losses/index.js';
import { PRIORS } from '../priors/index.js';
import { ACTIVATIONS } from '../nets/mlp.js';
import { PRESETS, PRESET_NAMES } from '../config/presets.js';
import { BACKENDS } from '../engine/index.js';
import { PACKAGE_VERSION } from '../util/version.js';
import { EXIT, isUserError } from './errors.js';
import { nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from './options.js';
import { demoCommand, trainCommand } from './commands/train.js';
import { sampleCommand } from './commands/sample.js';
import { evalCommand } from './commands/eval.js';
import { infoCommand } from './commands/info.js';

const atLeastTwo = (v: string): number => {
  const n = positiveInt(v);
  if (n < 2) throw new InvalidArgumentError(`expected a whole number ≥ 2, got '${v}'.`);
  return n;
};

const backendOption = (): Option =>
  new Option('--backend <name>', 'tensor backend (default: DGGF_BACKEND or auto)').argParser(oneOf(BACKENDS));

function buildProgram(result: { code: number }): Command {
  const program = new Command('dggf')
    .description('Deep Generative Wasserstein Gradient Flows: train density-ratio flows and sample from them')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `dggf: ${s}` : s),
    });

  const run = (fn: () => Promise<number>) => async () => {
    result.code = await fn();
  };

  program
    .command('demo')
    .description("train the fast 'toy' preset on 8gaussians (about 2 minutes) and write an HTML report")
    .option('--out <dir>', 'output run folder', './dggf-demo')
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .addOption(backendOption())
    .action((o) => run(() => demoCommand(o))());

  const presetHelp = PRESET_NAMES.map((n) => `${n}: ${PRESETS[n].description}`).join('; ');
  program
    .command('train')
    .description('train a DGGF model in a run folder; re-running the same command resumes it')
    .option('--data <name|file.csv>', 'a toy dataset (8gaussians, 25gaussians, swissroll, checkerboard, moons, rings, pinwheel, 2spirals) or a CSV of points')
    .requiredOption('--out <dir>', 'run folder (created, or resumed if it holds a run)')
    .addOption(new Option('--preset <name>', `starting configuration (${presetHelp})`).argParser(oneOf(PRESET_NAMES)))
    .option('--config <file.json>', 'JSON file of config fields (applied over the preset, under the options)')
    .addOption(new Option('--divergence <f>', 'f-divergence of the flow').argParser(oneOf(DIVERGENCES)))
    .addOption(new Option('--loss <l>', 'density-ratio loss (lsif: net outputs r; lr, kl: net outputs log r)').argParser(oneOf(LOSSES)))
    .addOption(new Option('--prior <p>', 'where particles start').argParser(oneOf(PRIORS)))
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
    .option('--normalize', 'standardise the data per dimension (default for toy)')
    .option('--no-normalize', 'train on the raw coordinates (default for paper-toy)')
    .option('--no-report', 'skip report.html at the end')
    .addOption(backendOption())
    .action((o, cmd: Command) => {
      // commander sets normalize=true by default because of --no-normalize; keep only explicit use
      const src = cmd.getOptionValueSource('normalize');
      if (src !== 'cli') delete o.normalize;
      return run(() => trainCommand(o))();
    });

  program
    .command('sample')
    .description("draw samples by flowing prior draws with a run's EMA weights")
    .requiredOption('--run <dir>', 'run folder')
    .requiredOption('--n <n>', 'number of samples', positiveInt)
    .requiredOption('--out <file.csv>', 'CSV file (header x0,x1,...)')
    .option('--flow-steps <k>', 'flow steps (default: K of the run)', positiveInt)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--kl-curve <file.csv>', 'write the KL estimate (mean log r) at every flow step')
    .option('--gif <file.gif>', 'write an animation of the flow (2-D runs)')
    .option('--png <file.png>', 'write a scatter plot of the samples over the data (2-D runs)')
    .addOption(backendOption())
    .action((o) => run(() => sampleCommand(o))());

  program
    .command('eval')
    .description('print sample-quality metrics (MMD, energy, sliced W1, KL estimate) as JSON')
    .requiredOption('--run <dir>', 'run folder')
    .option('--data <name|file.csv>', "data to compare with (default: the run's)")
    .option('--n <n>', 'number of samples and data points (≥ 2)', atLeastTwo, 2000)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--flow-steps <k>', 'flow steps (default: K of the run)', positiveInt)
    .addOption(backendOption())
    .action((o) => run(() => evalCommand(o))());

  program
    .command('info')
    .description('show the tensor backend, threads and versions')
    .option('--json', 'print JSON')
    .addOption(backendOption())
    .action((o) => run(() => infoCommand(o))());

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const result = { code: EXIT.ok as number };
  const program = buildProgram(result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (isUserError(e)) {
      process.stderr.write(`dggf: error: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}
