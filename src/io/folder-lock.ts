// One save at a time per folder. Within the process, saves into a folder queue up in call order (keyed by
// the path as given, which keeps the order of unawaited saves, then by the real path, which also serializes
// two spellings of one folder). Between processes, a lock file in the folder holds the owner's pid, host and
// a random token: it is created complete (written under a temporary name, then hard-linked into place, which
// fails if the lock exists), and removed by its owner only if it still holds the owner's token. A lock whose
// owner is gone (same host, pid no longer running, or this process's pid but not held here) is stale: it is
// renamed away (atomic, so only one waiting process takes it) and checked to be the stale one before it
// is deleted; a live lock renamed by mistake is linked back.
import { hostname } from 'node:os';
import { link, mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openRegularFile, readExactly, refusalReason } from './safe-read.js';

/** The lock file a save holds in its folder. */
export const LOCK_FILE = '.simdnet-save.lock';
/** How long a save waits for another process's save into the same folder before giving up. */
const LOCK_WAIT_MS = 120_000;
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 200;

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/** `.<pid>-<time>-<random>.tmp`: the suffix of every temporary file a save makes (its pid tells a dead save's leftovers). */
export function tempSuffix(): string {
  return `.${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tmp`;
}

/** Whether process `pid` on this host is running (EPERM: it runs, as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds now (real paths). */
const held = new Set<string>();
/** The last queued work per key; each work starts when the one before it has settled. */
const queues = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier work queued under `key` has settled. */
function enqueue<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/** A lock file holds one small JSON object; anything larger is not one of simdnet's. */
const MAX_LOCK_BYTES = 4096;

/** The owner a lock file names, or null when it is gone or not a lock simdnet wrote; a FIFO or folder there is an error. */
async function readOwner(path: string): Promise<LockOwner | null> {
  let opened;
  try {
    opened = await openRegularFile(path, path, 'the lock file', true);
  } catch (e) {
    if (refusalReason(e) === 'not a regular file') throw new Error(`${(e as Error).message}; remove it to save into this folder`, { cause: e });
    return null;
  }
  try {
    if (opened.size > MAX_LOCK_BYTES) return null;
    const owner = JSON.parse(new TextDecoder().decode(await readExactly(opened.handle, new Uint8Array(opened.size), path))) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' && typeof owner.token === 'string' ? owner : null;
  } catch {
    return null;
  } finally {
    await opened.handle.close();
  }
}

/**
 * This machine's name, read once. Deno needs --allow-sys for it; a save must not need that permission, so
 * without it every lock counts as this machine's (what a single-host folder is anyway).
 */
let thisHost: string | null = null;
function hostName(): string {
  if (thisHost === null) {
    try {
      thisHost = hostname();
    } catch {
      thisHost = 'this-host';
    }
  }
  return thisHost;
}

function isStale(owner: LockOwner, lockPath: string): boolean {
  if (owner.host !== hostName()) return false; // cannot tell whether a pid of another machine runs
  if (owner.pid === process.pid) return !held.has(lockPath);
  return !isRunning(owner.pid);
}

/** Creates the lock file, complete, unless it exists; true when this call made it. */
async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  const temp = lockPath + tempSuffix();
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(JSON.stringify(owner));
  } catch (e) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  try {
    await link(temp, lockPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Removes a stale lock, unless another process replaced it meanwhile (then that lock is put back). */
async function breakStale(lockPath: string, stale: LockOwner): Promise<void> {
  const aside = lockPath + tempSuffix();
  try {
    await rename(lockPath, aside);
  } catch {
    return; // another process broke it first
  }
  const taken = await readOwner(aside);
  if (taken !== null && taken.token !== stale.token) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function acquire(lockPath: string, dir: string): Promise<LockOwner> {
  const me: LockOwner = { pid: process.pid, host: hostName(), token: Math.random().toString(36).slice(2) + Date.now().toString(36) };
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let wait = POLL_FIRST_MS; ; wait = Math.min(2 * wait, POLL_MAX_MS)) {
    if (!held.has(lockPath) && (await tryCreate(lockPath, me))) {
      held.add(lockPath);
      return me;
    }
    const owner = await readOwner(lockPath);
    if (owner !== null && isStale(owner, lockPath)) {
      await breakStale(lockPath, owner);
      continue;
    }
    if (Date.now() > deadline) {
      const who = owner === null ? 'another save' : `process ${owner.pid} on ${owner.host}`;
      throw new Error(`${dir}: ${who} has been saving into this folder for over ${LOCK_WAIT_MS / 1000} s (lock file ${lockPath}); if no simdnet save is running, delete that file`);
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Removes this save's lock, unless another process took the lock over meanwhile (a lock it cannot read is removed). */
async function release(lockPath: string, me: LockOwner): Promise<void> {
  held.delete(lockPath);
  const owner = await readOwner(lockPath).catch(() => null);
  if (owner === null || owner.token === me.token) await unlink(lockPath).catch(() => undefined);
}

/**
 * Creates folder `dir` if needed and runs `work(realDir)` as the only save into it: after the saves queued
 * before it in this process, and while holding the folder's lock file against other processes.
 */
export function withFolderLock<T>(dir: string, work: (realDir: string) => Promise<T>): Promise<T> {
  return enqueue(`path:${resolve(dir)}`, async () => {
    await mkdir(dir, { recursive: true });
    const realDir = await realpath(dir);
    return enqueue(`real:${realDir}`, async () => {
      const lockPath = join(realDir, LOCK_FILE);
      const me = await acquire(lockPath, dir);
      try {
        return await work(realDir);
      } finally {
        await release(lockPath, me);
      }
    });
  });
}
