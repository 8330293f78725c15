// Writing a model's files so that a failed (or crashed) save leaves the previous model whole. The commit is
// ONE rename: model.json, renamed last, is the only file a save replaces. The weights go to a file the
// current model.json does not name (weights.bin, or weights-<checksum>.bin when weights.bin is the one in
// use), written and flushed under a temporary name and renamed into place first; the new model.json names
// that file. Until model.json's rename the old manifest still names the old, untouched weights; after it the
// new manifest names the new ones; no moment has a manifest naming a missing or foreign weights file
// (rename within a folder is atomic on POSIX). The old weights file is removed after the commit; if that
// removal fails (or the process dies first) it stays as an orphan that no manifest names, which is harmless.
// Renaming the new weights back to weights.bin after the commit would need a second manifest commit (the
// first one names the other file), so saves alternate: a first save, and every save over a model whose
// weights are in weights-<checksum>.bin, writes weights.bin; a save over a model in weights.bin writes
// weights-<checksum>.bin. Loaders follow the name model.json gives.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The weights file name of a save into a folder whose model.json does not use it (the layout). */
export const DEFAULT_WEIGHTS_FILE = 'weights.bin';
/** Weights files simdnet writes: only these are removed when a save replaces the model naming them. */
const OWN_WEIGHTS_FILE = /^weights(-[0-9a-f]{8}(-\d+)?)?\.bin$/;

async function writeFlushed(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The weight files a model.json of either format names: simdnet's `weightsFile`, tfjs's `weightsManifest[].paths`. */
function namedWeightFiles(json: unknown): Set<string> {
  const names = new Set<string>();
  if (typeof json !== 'object' || json === null) return names;
  const { weightsFile, weightsManifest } = json as Record<string, unknown>;
  if (typeof weightsFile === 'string') names.add(weightsFile);
  if (Array.isArray(weightsManifest)) {
    for (const group of weightsManifest) {
      const paths = typeof group === 'object' && group !== null ? (group as Record<string, unknown>).paths : undefined;
      if (Array.isArray(paths)) for (const p of paths) if (typeof p === 'string') names.add(p);
    }
  }
  return names;
}

/** The weight files the folder's current model.json names; weights.bin is assumed in use when model.json is unreadable. */
async function weightFilesInUse(manifestPath: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : new Set([DEFAULT_WEIGHTS_FILE]);
  }
  try {
    return namedWeightFiles(JSON.parse(text));
  } catch {
    return new Set([DEFAULT_WEIGHTS_FILE]);
  }
}

/** weights.bin unless the current model uses it; else weights-<checksum>.bin (numbered if that is in use too). */
function freeWeightsName(inUse: ReadonlySet<string>, checksum: string): string {
  if (!inUse.has(DEFAULT_WEIGHTS_FILE)) return DEFAULT_WEIGHTS_FILE;
  let name = `weights-${checksum}.bin`;
  for (let n = 2; inUse.has(name); n++) name = `weights-${checksum}-${n}.bin`;
  return name;
}

/**
 * Saves a model as `dir/model.json` plus one weights file (see the top of this file): `manifestFor(name)`
 * returns the model.json text naming weights file `name`. It runs before anything is written, so a
 * manifest that cannot be made (metadata that is not JSON) leaves the folder untouched.
 */
export async function writeModelFiles(dir: string, weightData: Uint8Array, manifestFor: (weightsFile: string) => string): Promise<void> {
  const manifestPath = join(dir, 'model.json');
  const previous = await weightFilesInUse(manifestPath);
  const weightsFile = freeWeightsName(previous, fnv1a(weightData));
  const manifest = manifestFor(weightsFile);
  await mkdir(dir, { recursive: true });
  const suffix = `.${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.tmp`;
  const weightsPath = join(dir, weightsFile);
  const weightsTemp = weightsPath + suffix;
  const manifestTemp = manifestPath + suffix;
  let weightsPlaced = false;
  try {
    await writeFlushed(weightsTemp, weightData);
    await writeFlushed(manifestTemp, manifest);
    await rename(weightsTemp, weightsPath);
    weightsPlaced = true;
    await rename(manifestTemp, manifestPath); // the commit
  } catch (e) {
    // No manifest names the new weights file yet (it was chosen free), so it goes with the temporaries.
    const leftovers = weightsPlaced ? [weightsTemp, manifestTemp, weightsPath] : [weightsTemp, manifestTemp];
    await Promise.all(leftovers.map((path) => unlink(path).catch(() => undefined)));
    throw e;
  }
  // Committed: the old weights are no longer named. Only files simdnet writes are removed (a tfjs manifest
  // may name anything); a removal that fails leaves a harmless orphan, so it does not fail the save.
  const superseded = [...previous].filter((name) => name !== weightsFile && OWN_WEIGHTS_FILE.test(name));
  await Promise.all(superseded.map((name) => unlink(join(dir, name)).catch(() => undefined)));
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
