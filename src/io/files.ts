// Writing a model's files so that a failed (or crashed) save leaves the previous model whole. The commit is
// ONE rename: model.json, renamed last, is the only file a save replaces. The weights go to a file the
// current model.json does not name and that does not exist yet (weights.bin, or weights-<checksum>.bin when
// weights.bin is taken), written and flushed under a temporary name and renamed into place first; the new
// model.json names that file. Until model.json's rename the old manifest still names the old, untouched
// weights; after it the new manifest names the new ones; no moment has a manifest naming a missing or
// foreign weights file (rename within a folder is atomic on POSIX). The folder is flushed after each rename,
// so after a power cut the new model.json never names a weights file whose rename was lost.
// Renaming the new weights back to weights.bin after the commit would need a second manifest commit (the
// first one names the other file), so saves alternate: a first save, and every save over a model whose
// weights are in weights-<checksum>.bin, writes weights.bin; a save over a model in weights.bin writes
// weights-<checksum>.bin. Loaders follow the name model.json gives.
// Saves into one folder run one at a time (folder-lock.ts), so the manifest a save reads at its start is
// still the current one when it commits. After the commit it removes only files it can prove are simdnet's
// and no longer used: those the replaced model.json named (when that was a valid manifest), weights files of
// simdnet's own name pattern that no manifest names (left by a killed save), and temporaries of dead saves;
// never a file the model.json that is current then (read again) names.
import { constants } from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunning, LOCK_FILE, tempSuffix, withFolderLock } from './folder-lock.js';
import { readManifest, refusalReason } from './safe-read.js';

/** The weights file name of a save into a folder whose model.json does not use it (the layout). */
export const DEFAULT_WEIGHTS_FILE = 'weights.bin';
/** Weights files simdnet writes: only these are removed when a save replaces the model naming them. */
const OWN_WEIGHTS_FILE = /^weights(-[0-9a-f]{8}(-\d+)?)?\.bin$/;
/** Temporary files of a save (see tempSuffix): a file simdnet writes, then `.<pid>-<time>-<random>.tmp`. */
const OWN_TEMP_FILE = /^(?:model\.json|weights(?:-[0-9a-f]{8}(?:-\d+)?)?\.bin|\.simdnet-save\.lock)\.(\d+)-[0-9a-z]+-[0-9a-z]+\.tmp$/;

async function writeFlushed(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (the renames into it) to disk. Windows cannot open a folder; NTFS journals renames. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  // O_DIRECTORY: anything else swapped in at that path fails the open instead of blocking it (a FIFO).
  const handle = await open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The weight files a model.json of either format names: simdnet's `weightsFile`, tfjs's `weightsManifest[].paths`. */
function namedWeightFiles(json: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  const { weightsFile, weightsManifest } = json;
  if (typeof weightsFile === 'string') names.add(weightsFile);
  if (Array.isArray(weightsManifest)) {
    for (const group of weightsManifest) {
      const paths = typeof group === 'object' && group !== null ? (group as Record<string, unknown>).paths : undefined;
      if (Array.isArray(paths)) for (const p of paths) if (typeof p === 'string') names.add(p);
    }
  }
  return names;
}

/**
 * The folder's current model.json: absent, a JSON object whose weight files are `names`, or unknown (not
 * JSON, not an object, too large, or leading outside the folder), in which case nothing in the folder can
 * be proved to belong to it. A model.json that cannot be read (an I/O error, a folder, a FIFO) fails the save.
 */
type CurrentManifest = { state: 'absent' } | { state: 'valid'; names: Set<string> } | { state: 'unknown' };

async function currentManifest(dir: string): Promise<CurrentManifest> {
  let bytes: Uint8Array;
  try {
    bytes = await readManifest(dir, 'the current model.json');
  } catch (e) {
    const reason = refusalReason(e);
    if (reason === 'missing') return { state: 'absent' };
    if (reason === 'outside' || reason === 'too large') return { state: 'unknown' };
    throw e;
  }
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return { state: 'valid', names: namedWeightFiles(json as Record<string, unknown>) };
  } catch {
    // not JSON: fall through
  }
  return { state: 'unknown' };
}

/** weights.bin, else weights-<checksum>.bin (numbered if taken): the first name neither in use nor existing. */
function freeWeightsName(taken: (name: string) => boolean, checksum: string): string {
  if (!taken(DEFAULT_WEIGHTS_FILE)) return DEFAULT_WEIGHTS_FILE;
  let name = `weights-${checksum}.bin`;
  for (let n = 2; taken(name); n++) name = `weights-${checksum}-${n}.bin`;
  return name;
}

/**
 * Files to remove after a commit that replaced `previous`: the weights it named and orphaned weights (own
 * name pattern), both only when it was a valid manifest, and temporaries of saves that are not running.
 */
function leftovers(files: readonly string[], previous: CurrentManifest, keep: ReadonlySet<string>): string[] {
  return files.filter((name) => {
    if (keep.has(name)) return false;
    const temp = OWN_TEMP_FILE.exec(name);
    if (temp !== null) return Number(temp[1]) === process.pid || !isRunning(Number(temp[1]));
    // Weights the replaced manifest named, or that no manifest names (a killed save's): provably simdnet's
    // only when the replaced model.json was a valid manifest.
    return previous.state === 'valid' && OWN_WEIGHTS_FILE.test(name);
  });
}

/**
 * Saves a model as `dir/model.json` plus one weights file (see the top of this file): `manifestFor(name)`
 * returns the model.json text naming weights file `name`. It runs before anything is written, so a
 * manifest that cannot be made (metadata that is not JSON) leaves the folder untouched. `weightData` must be
 * the caller's own copy: the save reads it after awaiting its turn.
 */
export function writeModelFiles(dir: string, weightData: Uint8Array, manifestFor: (weightsFile: string) => string): Promise<void> {
  manifestFor(DEFAULT_WEIGHTS_FILE);
  return withFolderLock(dir, (realDir) => commitModelFiles(dir, realDir, weightData, manifestFor));
}

async function commitModelFiles(dir: string, realDir: string, weightData: Uint8Array, manifestFor: (weightsFile: string) => string): Promise<void> {
  const previous = await currentManifest(realDir);
  const existing = new Set(await readdir(realDir));
  const weightsFile = freeWeightsName((name) => existing.has(name) || (previous.state === 'valid' && previous.names.has(name)), fnv1a(weightData));
  const manifest = manifestFor(weightsFile);
  const suffix = tempSuffix();
  const manifestPath = join(realDir, 'model.json');
  const weightsPath = join(realDir, weightsFile);
  const weightsTemp = weightsPath + suffix;
  const manifestTemp = manifestPath + suffix;
  let weightsPlaced = false;
  try {
    await writeFlushed(weightsTemp, weightData);
    await writeFlushed(manifestTemp, manifest);
    await rename(weightsTemp, weightsPath);
    weightsPlaced = true;
    await syncFolder(realDir); // the weights' name is on disk before a manifest names it
    await rename(manifestTemp, manifestPath); // the commit
  } catch (e) {
    // No manifest names the new weights file yet (it was chosen free), so it goes with the temporaries.
    const failed = weightsPlaced ? [weightsTemp, manifestTemp, weightsPath] : [weightsTemp, manifestTemp];
    await Promise.all(failed.map((path) => unlink(path).catch(() => undefined)));
    throw e;
  }
  try {
    await syncFolder(realDir);
  } catch (cause) {
    throw new Error(`${dir}: the new model.json is in place, but flushing the folder failed, so it may not survive a power cut: ${(cause as Error).message}`, { cause });
  }
  // Committed. Only files provably simdnet's and unused are removed, checked against the model.json that is
  // current now (another writer that takes no lock may have replaced it); a removal that fails leaves a
  // harmless orphan, so it does not fail the save.
  const now = await currentManifest(realDir).catch((): CurrentManifest => ({ state: 'unknown' }));
  if (now.state !== 'valid') return;
  const keep = new Set([...now.names, weightsFile, 'model.json', LOCK_FILE]);
  const files = await readdir(realDir).catch(() => [] as string[]);
  await Promise.all(leftovers(files, previous, keep).map((name) => unlink(join(realDir, name)).catch(() => undefined)));
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
