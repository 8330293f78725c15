// Where a model is read from or written to, as TensorFlow.js users name it: a folder, a path to its
// model.json, a file:// URL (or URL object), and for reading also an http(s):// URL. Folders are read with
// the safe-read rules (safe-read.ts); URLs with fetch, every body read against the size expected of it and
// every weight file resolved inside the model's own URL folder.
import type { ModelDestination } from '../nn/save-handlers.js';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_MANIFEST_BYTES, readInside, readManifest, readWeightFiles } from './safe-read.js';

/** What a model reader needs: model.json's bytes, and weight files named relative to it. */
export interface ModelSource {
  /** model.json's path or URL, to start error messages. */
  readonly where: string;
  /** The folder (or URL folder) the weight files are named in, for messages. */
  readonly folder: string;
  manifest(what: string): Promise<Uint8Array>;
  /**
   * One file next to model.json; `checkSize` sees its size before it is read (and throws when it is not the
   * expected one); `limit` is the most bytes that are read (a body longer is cut off and refused).
   */
  file(name: string, what: string, limit: number, checkSize: (size: number, shown: string) => void): Promise<Uint8Array>;
  /** The files of a TensorFlow.js weights manifest, concatenated; their sizes must add up to `bytes`. */
  weightFiles(paths: readonly string[], bytes: number): Promise<Uint8Array>;
}

/**
 * The folder a destination names: a folder path, a path to its model.json, `file://path` (tfjs-node's form,
 * relative or absolute) or a file: URL object. `where` names the call in errors.
 */
export function folderOf(destination: unknown, where: string): string {
  let path: string;
  if (destination instanceof URL) {
    if (destination.protocol !== 'file:') throw new TypeError(`${where}: ${destination.href}: only file: URLs name a folder here`);
    path = fileURLToPath(destination);
  } else if (typeof destination === 'string' && destination !== '') {
    path = fileUrlPath(destination);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      throw new TypeError(`${where}: ${destination}: ${path.slice(0, path.indexOf(':'))} URLs are not supported here; give a folder, a path to model.json or a file:// URL`);
    }
  } else {
    throw new TypeError(`${where}: expected a folder, a path to model.json or a file:// URL, got ${destination === '' ? 'an empty string' : typeof destination}`);
  }
  return basename(path) === 'model.json' ? dirname(path) : path;
}

/** `file:///abs/path` as a path (percent-decoded), `file://rel/path` as tfjs-node reads it (the rest as is); other strings unchanged. */
function fileUrlPath(value: string): string {
  if (!/^file:\/\//i.test(value)) return value;
  if (/^file:\/\/(localhost)?\//i.test(value)) return fileURLToPath(value);
  return value.slice('file://'.length);
}

/** Whether `value` is an http(s) URL (string or URL object). */
export function isHttpUrl(value: unknown): value is ModelDestination {
  const text = value instanceof URL ? value.href : value;
  return typeof text === 'string' && /^https?:\/\//i.test(text);
}

/** A model folder on disk (see folderOf for the accepted forms). */
export function folderSource(destination: unknown, where: string): ModelSource {
  const dir = folderOf(destination, where);
  const jsonPath = join(dir, 'model.json');
  return {
    where: jsonPath,
    folder: dir,
    manifest: (what) => readManifest(dir, what),
    file: (name, what, _limit, checkSize) => readInside(dir, name, what, checkSize),
    weightFiles: (paths, bytes) => readWeightFiles(dir, paths, bytes, jsonPath),
  };
}

/**
 * A model served over http(s): `url` is its model.json, or the folder holding it (a URL that does not end
 * in .json). Weight files are fetched relative to model.json and must stay under its folder.
 */
export function urlSource(url: ModelDestination): ModelSource {
  let modelUrl = new URL(typeof url === 'string' ? url : url.href);
  if (!modelUrl.pathname.endsWith('.json')) modelUrl = new URL(`${modelUrl.pathname.replace(/\/?$/, '/')}model.json${modelUrl.search}`, modelUrl);
  const base = new URL('.', modelUrl);
  const where = modelUrl.href;
  const resolve = (name: string, what: string): URL => {
    const target = new URL(name, base);
    if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) {
      throw new Error(`${where}: ${what} ${JSON.stringify(name)} is not under the model's URL folder ${base.href}; refused`);
    }
    return target;
  };
  return {
    where,
    folder: base.href,
    manifest: (what) =>
      fetchBytes(modelUrl, what, MAX_MANIFEST_BYTES, (size, shown) => {
        if (size > MAX_MANIFEST_BYTES) throw new RangeError(`${shown}: ${size} bytes, more than the ${MAX_MANIFEST_BYTES / 2 ** 20} MiB a model.json may have; refused`);
      }),
    file: (name, what, limit, checkSize) => fetchBytes(resolve(name, what), what, limit, checkSize),
    async weightFiles(paths, bytes) {
      const out = new Uint8Array(bytes);
      let offset = 0;
      for (const p of paths) {
        const part = await fetchBytes(resolve(p, 'weight file'), 'a weight file named in model.json', bytes - offset, (size, shown) => {
          if (offset + size > bytes) throw new RangeError(`${where}: the weights manifest describes ${bytes} bytes, the weight files hold more (${shown})`);
        });
        out.set(part, offset);
        offset += part.length;
      }
      if (offset !== bytes) throw new RangeError(`${where}: the weights manifest describes ${bytes} bytes, the weight files hold ${offset}`);
      return out;
    },
  };
}

/**
 * The body of `url`. `checkSize` sees the declared length (Content-Length) before the body is read and the
 * real length after; reading stops as soon as the body passes `limit` bytes (a server cannot make it read on).
 */
async function fetchBytes(url: URL, what: string, limit: number, checkSize: (size: number, shown: string) => void): Promise<Uint8Array> {
  const shown = url.href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new Error(`${shown}: cannot fetch ${what}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${shown}: cannot fetch ${what}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  const declared = response.headers.get('content-length');
  try {
    if (declared !== null && /^\d+$/.test(declared)) checkSize(Number(declared), shown);
  } catch (e) {
    await response.body?.cancel();
    throw e;
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > limit) {
        await reader.cancel();
        checkSize(length, shown);
        throw new RangeError(`${shown}: the body passed the ${limit} bytes expected of ${what}; refused`);
      }
      chunks.push(value);
    }
  }
  checkSize(length, shown);
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
