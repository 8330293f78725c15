// Writing a model's files so that a failed save leaves the previous model whole: every file is first
// written and flushed under a temporary name in the same folder, and only then renamed over the old one
// (rename within a folder is atomic on POSIX). The manifest is renamed last, and records the weights'
// size and checksum, so a crash between the renames is detected on load instead of read as a model.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutputFile {
  readonly name: string;
  readonly data: string | Uint8Array;
}

async function writeFlushed(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all files to temporaries, then renames them into `dir` in the given order. */
export async function writeFilesAtomically(dir: string, files: readonly OutputFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const suffix = `.${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.tmp`;
  const temps = files.map((f) => join(dir, f.name + suffix));
  try {
    for (let i = 0; i < files.length; i++) await writeFlushed(temps[i], files[i].data);
    for (let i = 0; i < files.length; i++) await rename(temps[i], join(dir, files[i].name));
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    throw e;
  }
}

/** Reads a file, naming it in the error when it is missing or unreadable. */
export async function readNamed(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: ${what} is missing` : `${path}: cannot read ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** Parses a JSON file's bytes, naming the file in the error. */
export function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new Error(`${path}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** FNV-1a, 32 bits (Fowler, Noll, Vo): a cheap checksum that ties model.json to its weights.bin. */
export function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
