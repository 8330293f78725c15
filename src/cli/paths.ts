// Checks of the CLI's path arguments, made before any work so that a long training run cannot end in a
// failed write (an --out that is a file, a folder that cannot be created, an output name taken by a folder or
// a FIFO), and no input can hang the command (a FIFO given as an IDX file). Each error names the flag.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileKind } from '../io/safe-read.js';
import { UsageError } from './args.js';

/** The path's stat, or null when it does not exist; other failures (no permission) are usage errors naming `flag`. */
function statOrNull(flag: string, path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new UsageError(`${flag}: cannot examine '${path}': ${(e as Error).message}`);
  }
}

function checkWritable(dir: string, message: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(message);
  }
}

/**
 * `flag` ('train: --out') names a folder that the command will create if needed and write `files` into:
 * it must be a folder or creatable (its nearest existing parent a writable folder), writable, and none of
 * `files` may exist as anything but a regular file.
 */
export function checkOutputFolder(flag: string, dir: string, files: readonly string[]): void {
  if (dir === '') throw new UsageError(`${flag} needs a folder path`);
  const existing = statOrNull(flag, dir);
  if (existing === null) {
    let parent = dirname(resolve(dir));
    let s = statOrNull(flag, parent);
    while (s === null && dirname(parent) !== parent) s = statOrNull(flag, (parent = dirname(parent)));
    if (s === null || !s.isDirectory()) throw new UsageError(`${flag} '${dir}' cannot be created: '${parent}' is ${s === null ? 'missing' : fileKind(s)}, not a folder`);
    checkWritable(parent, `${flag} '${dir}' cannot be created: the folder '${parent}' is not writable`);
    return;
  }
  if (!existing.isDirectory()) throw new UsageError(`${flag} '${dir}' is ${fileKind(existing)}, not a folder`);
  checkWritable(dir, `${flag} '${dir}' is not a writable folder`);
  for (const file of files) {
    const s = statOrNull(flag, join(dir, file));
    if (s !== null && !s.isFile()) throw new UsageError(`${flag} '${dir}': its ${file} is ${fileKind(s)}, which the output cannot replace`);
  }
}

/** `flag` ('predict: <idx file>') must name an existing regular file (a FIFO or a device would hang or never end). */
export function checkInputFile(flag: string, file: string): void {
  const s = statOrNull(flag, file);
  if (s === null) throw new UsageError(`${flag} '${file}' does not exist`);
  if (!s.isFile()) throw new UsageError(`${flag} '${file}' is ${fileKind(s)}, not a regular file`);
}
