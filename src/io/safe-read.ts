// Reading the files of a model folder (and IDX files) so that a hostile or careless folder can neither make
// simdnet read outside it, nor hang it, nor make it read without bound:
// - a model's files are resolved to real paths and must lie inside the folder's real path (a symlink that
//   leads out, e.g. weights.bin -> ~/.ssh/id_rsa or a shard path through a symlinked folder, is refused
//   before anything about the target, even its size, is looked at);
// - the file type is checked with stat (which never blocks) before the open, and the open is non-blocking
//   (O_NONBLOCK), so a FIFO or device swapped in between the two cannot block it either; fstat then
//   checks that the opened file is the regular file that was checked;
// - every read is sized in advance (the manifest's sizes, or a cap), against the opened file's size, and
//   reads exactly that many bytes: a file growing meanwhile, or /dev/zero, cannot make it read more.
import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';

/** model.json holds the architecture and a weight list, a few KB for any real model: 64 MiB is far beyond that. */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** Read-only, never blocking in open() (FIFOs, devices); O_NOFOLLOW where the path must not be a symlink. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** What a file is, for messages: 'a folder', 'a FIFO (named pipe)', ..., 'a regular file'. */
export function fileKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return s.isFile() ? 'a regular file' : 'not a regular file';
}

/** Why a read was refused before any byte was read; errors carry it as `reason` (see refusalReason). */
export type Refusal = 'missing' | 'outside' | 'not a regular file' | 'too large';

function refused<E extends Error>(error: E, reason: Refusal): E {
  return Object.assign(error, { reason });
}

/** The Refusal of an error thrown here, or undefined for an I/O error. */
export function refusalReason(error: unknown): Refusal | undefined {
  return (error as { reason?: Refusal } | null)?.reason;
}

export interface OpenedFile {
  readonly handle: FileHandle;
  /** The size of the opened file (fstat). */
  readonly size: number;
}

/**
 * Opens a regular file for reading. `shown` names it in errors (the path the user gave, not the resolved one);
 * `what` says what it is ('the weights file'); with `what` undefined errors read "<shown>: cannot read: ...".
 * `noFollow`: the path is a resolved real path, so a symlink there now means the folder changed meanwhile.
 */
export async function openRegularFile(path: string, shown: string, what?: string, noFollow = false): Promise<OpenedFile> {
  const fail = (reason: string, cause?: unknown) => new Error(`${shown}: cannot read${what === undefined ? '' : ` ${what}`}: ${reason}`, { cause });
  let checked;
  try {
    checked = await stat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && what !== undefined) throw refused(new Error(`${shown}: ${what} is missing`, { cause }), 'missing');
    throw fail((cause as Error).message, cause);
  }
  if (!checked.isFile()) throw refused(fail(`not a regular file (${fileKind(checked)})`), 'not a regular file');
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS | (noFollow ? NO_FOLLOW : 0));
  } catch (cause) {
    throw fail((cause as Error).message, cause);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw refused(fail(`not a regular file (${fileKind(opened)})`), 'not a regular file');
    if (opened.ino !== checked.ino || opened.dev !== checked.dev) throw fail('the file was replaced while it was being opened');
    return { handle, size: opened.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Fills `out` from the start of an open file, whose size must be out.length: fails if it is shorter or longer now. */
export async function readExactly(handle: FileHandle, out: Uint8Array, shown: string): Promise<Uint8Array> {
  const size = out.length;
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(out, filled, size - filled, filled);
    if (bytesRead === 0) throw new Error(`${shown}: the file shrank to ${filled} bytes while it was read (expected ${size})`);
    filled += bytesRead;
  }
  const { bytesRead } = await handle.read(new Uint8Array(1), 0, 1, size);
  if (bytesRead !== 0) throw new Error(`${shown}: the file grew past ${size} bytes while it was read`);
  return out;
}

/**
 * The real path of `name` (a relative path) inside folder `dir`, refusing one that resolves outside the folder's
 * real path. `what` names the file in errors; a missing file (or folder) is "<dir>/<name>: <what> is missing".
 */
export async function resolveInside(dir: string, name: string, what: string): Promise<string> {
  const shown = join(dir, name);
  const missing = (cause: unknown) => refused(new Error(`${shown}: ${what} is missing`, { cause }), 'missing');
  let realDir: string;
  let realFile: string;
  try {
    realDir = await realpath(dir);
    realFile = await realpath(shown);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw missing(cause);
    throw new Error(`${shown}: cannot read ${what}: ${(cause as Error).message}`, { cause });
  }
  const inside = relative(realDir, realFile);
  if (inside === '' || inside === '..' || inside.startsWith(`..${'/'}`) || inside.startsWith('..\\') || isAbsolute(inside)) {
    // Nothing about the target is told (not its path, not its size): it is not the model's to show.
    throw refused(new Error(`${shown}: ${what} leads outside the model folder (through a symbolic link); refused`), 'outside');
  }
  return realFile;
}

/**
 * Reads `name` inside `dir` (see resolveInside and openRegularFile). `checkSize(size)` sees the file's size
 * before any byte is read and throws if it is not what the caller expects (its message names the file);
 * the read is then exactly that size.
 */
export async function readInside(dir: string, name: string, what: string, checkSize: (size: number, shown: string) => void): Promise<Uint8Array> {
  const shown = join(dir, name);
  const real = await resolveInside(dir, name, what);
  const { handle, size } = await openRegularFile(real, shown, what, true);
  try {
    checkSize(size, shown);
    return await readExactly(handle, new Uint8Array(size), shown);
  } finally {
    await handle.close();
  }
}

/** A model folder's model.json, at most MAX_MANIFEST_BYTES. */
export function readManifest(dir: string, what: string): Promise<Uint8Array> {
  return readInside(dir, 'model.json', what, (size, shown) => {
    if (size > MAX_MANIFEST_BYTES) throw refused(new RangeError(`${shown}: ${size} bytes, more than the ${MAX_MANIFEST_BYTES / 2 ** 20} MiB a model.json may have; refused`), 'too large');
  });
}

/**
 * The weight files of a TensorFlow.js manifest, concatenated in order. Every path is resolved inside `dir`
 * and sized (stat) first; duplicated files are refused, and the total must equal the manifest's `bytes`
 * before a single weight byte is read. `where` (model.json's path) starts the errors about the manifest.
 */
export async function readWeightFiles(dir: string, paths: readonly string[], bytes: number, where: string): Promise<Uint8Array> {
  const what = 'a weight file named in model.json';
  const files: { real: string; shown: string; size: number }[] = [];
  const seen = new Map<string, string>();
  for (const p of paths) {
    const real = await resolveInside(dir, p, what);
    const shown = join(dir, p);
    const earlier = seen.get(real);
    if (earlier !== undefined) throw new RangeError(`${where}: the weights manifest lists the file ${JSON.stringify(p)} more than once (as ${JSON.stringify(earlier)} too)`);
    seen.set(real, p);
    const s = await stat(real);
    if (!s.isFile()) throw refused(new Error(`${shown}: cannot read ${what}: not a regular file (${fileKind(s)})`), 'not a regular file');
    files.push({ real, shown, size: s.size });
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total !== bytes) throw new RangeError(`${where}: the weights manifest describes ${bytes} bytes, the weight files hold ${total}`);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const f of files) {
    const { handle, size } = await openRegularFile(f.real, f.shown, what, true);
    try {
      if (size !== f.size) throw new Error(`${f.shown}: the file changed size while the model was loaded (${f.size} -> ${size} bytes)`);
      await readExactly(handle, out.subarray(offset, offset + size), f.shown);
    } finally {
      await handle.close();
    }
    offset += f.size;
  }
  return out;
}
