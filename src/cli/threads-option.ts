// --threads, which every command takes: how many threads compute (sn.setThreads), checked with the other
// flags before any data is read and applied before the work starts.
import { MAX_THREADS, setThreads } from '../backend/pool.js';
import { wholeNumber, UsageError, type OptionSpec, type ParsedArgs } from './args.js';

export const THREADS_OPTION: OptionSpec = {
  value: '<n>',
  help: `threads that compute, 1 to ${MAX_THREADS} (default: SIMDNET_THREADS, else the number of cores)`,
};

/** The --threads value, checked; undefined when not given (the library's default holds). */
export function parseThreads(command: string, args: ParsedArgs): number | undefined {
  const text = args.options.get('threads');
  if (text === undefined) return undefined;
  const n = wholeNumber(command, 'threads', text, 1);
  if (n > MAX_THREADS) throw new UsageError(`${command}: --threads must be at most ${MAX_THREADS}, got '${text}'`);
  return n;
}

/** Starts the workers for --threads (resolves once they are up); nothing when it was not given. */
export async function applyThreads(threads: number | undefined): Promise<void> {
  if (threads !== undefined) await setThreads(threads);
}
