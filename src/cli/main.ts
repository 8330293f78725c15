#!/usr/bin/env node
// The `simdnet` command: train, eval and predict on MNIST-style image data. Usage errors (a wrong flag or
// value) print one line and exit with code 2; failures while running exit with code 1.
import { runEval, runPredict, runTrain, type Io } from './commands.js';
import { didYouMean, UsageError } from './args.js';
import { SIMDNET_VERSION } from '../io/version.js';

const MAIN_HELP = `usage: simdnet <command> [options]

Train and use neural networks on image data (WebAssembly SIMD kernels).

commands:
  train     train a classifier (on the embedded MNIST digits or an IDX folder)
  eval      evaluate a saved model on a dataset's test set
  predict   print the predicted class of each image of an IDX file

Every command takes --threads <n> (threads that compute; default SIMDNET_THREADS, else the cores).
Run simdnet <command> --help for a command's options; simdnet --version prints the version.
`;

const COMMANDS = ['train', 'eval', 'predict'];

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train':
        return await runTrain(rest, io);
      case 'eval':
        return await runEval(rest, io);
      case 'predict':
        return await runPredict(rest, io);
      case '--help':
      case '-h':
      case 'help':
        io.out.write(MAIN_HELP);
        return 0;
      case '--version':
      case '-v':
      case 'version':
        io.out.write(`simdnet ${SIMDNET_VERSION}\n`);
        return 0;
      case undefined:
        throw new UsageError('simdnet: missing command (train, eval, predict); see simdnet --help');
      default:
        throw new UsageError(`simdnet: unknown command '${command}'${didYouMean(command, command.startsWith('-') ? ['--help', '--version'] : [...COMMANDS, 'help', 'version'], (c) => `'${c}'`)} (valid: ${COMMANDS.join(', ')}); see simdnet --help`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      // Command errors read 'train: ...'; name the program too.
      io.err.write(`${e.message.startsWith('simdnet') ? '' : 'simdnet '}${e.message}\n`);
      return 2;
    }
    io.err.write(`simdnet ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

// A closed pipe (simdnet predict ... | head) ends the output; it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2), { out: process.stdout, err: process.stderr });
