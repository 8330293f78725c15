// The thread pool: persistent workers that instantiate the same wasm module over the ONE shared
// WebAssembly.Memory, driven synchronously so that `matmul` stays a plain function call. It splits GEMM
// (parallelGemm: by column panels of C, or by its rows when it has few columns) and the row kernels
// (parallelRows: optimizer updates, row gather, pooling, im2col) by rows.
//
// Dispatch: a split call is cut into chunks, described in the call block (one SharedArrayBuffer, layout in
// worker.ts), and each worker has a control block (its own SharedArrayBuffer). The caller writes the call
// block, marks each worker's job POSTED, bumps its sequence number and Atomics.notify()s it, then claims
// and runs chunks itself until none is left (runChunks; a woken worker does the same). Next it takes back
// every job no worker has claimed yet (compare-exchange POSTED -> CANCELLED: that worker never ran), and
// finally Atomics.wait()s (allowed on the main thread in Node, Deno and Bun) for the claimed ones to be DONE
// or FAILED. So a call takes about its one-thread time at worst, when a worker is slow to wake (a sleeping
// vCPU took ~270 us here) or has exited; idle workers also poll briefly before they sleep, so back-to-back
// calls find them awake. A worker's control block has two job lanes: the split call's, and one background
// job's (startBackgroundRows: a row kernel the caller does not wait for), which the worker runs in turn.
//
// Workers start asynchronously (from setThreads, from startWorkers -- fit calls it before its first
// epoch -- or lazily, on the first call big enough to split); until one reports ready in its control block
// the caller simply computes everything itself. They are unref'd, so they never keep a process alive.
// Only the main thread allocates (allocator.ts); workers get pointers, including each worker's persistent
// B-packing scratch (grown on demand, counted by memory(), freed by releaseWorkerScratch). A job that fails
// in a worker makes that call throw; a worker that exits is replaced.
import type { Worker as NodeWorker } from 'node:worker_threads';
import { backend, kernels } from './wasm.js';
import { allocate, release } from './allocator.js';
import { environmentVariable } from './environment.js';
import { CallBlock, CallLimits, CallSlot, JobState, callKernel, callViews, runChunks, workerMain, type CallViews, type ControlLayout, type WorkerInit } from './worker.js';

const LAYOUT: ControlLayout = {
  ready: 0,
  sequence: 1,
  // By CallBlock: the split call's lane, then the background job's.
  lanes: [
    { state: 2, result: 3, chunk: 4, chunksRun: 5, errorLength: 6, errorByteOffset: 128 },
    { state: 8, result: 9, chunk: 10, chunksRun: 11, errorLength: 12, errorByteOffset: 1152 },
  ],
  // The scratch pointer starts on its own 64-byte cache line, after the flags.
  scratchByteOffset: 64,
  maxErrorLength: 512,
};
const SPLIT_LANE = LAYOUT.lanes[CallBlock.Split];
const CONTROL_BYTES = LAYOUT.lanes[CallBlock.Background].errorByteOffset + LAYOUT.maxErrorLength * 2;

/** The wasm gemm's argument count (assembly/README.md). */
const GEMM_ARG_COUNT = 18;

const OP_GEMM = 0;

/** setThreads accepts 1..MAX_THREADS. */
export const MAX_THREADS = 256;
/** Idle workers poll this long after a job before sleeping in Atomics.wait (see bench/threads.mjs). */
const WORKER_SPIN_MICROS = 200;
/** The caller polls this long for the workers' results before sleeping. */
const CALLER_SPIN_MS = 0.05;
/**
 * A claimed job still running this long (plus 100x the caller's time for its own chunks, as the threads
 * finish within a chunk of each other) has lost its worker mid-job: the call fails instead of hanging.
 */
const RUN_TIMEOUT_MS = 10_000;
/** Longest single Atomics.wait of the caller, so it rechecks the time-out. */
const WAIT_SLICE_MS = 20;
/**
 * GEMMs below this many multiply-adds (m * n * k) run on the calling thread: measured break-even of a
 * 2-way split on a 2-core x64 machine, with margin (bench/threads.mjs).
 */
const DEFAULT_GEMM_MIN_MACS = 1 << 17;
/**
 * Row kernels (optimizer updates, row gather) over fewer bytes than this run on the calling thread. An SGD
 * update breaks even at about 24 KiB (bench/threads.mjs); a 64-row gather of 784 floats (200 KiB)
 * measured 0.85x and 1.35x split in isolation (two runs), and +3% W1 samples/s split inside 2-thread
 * training (median of 10 paired epochs).
 */
const DEFAULT_ROWS_MIN_BYTES = 1 << 16;
// Oversubscription guard. When other processes keep the cores busy, a worker is often descheduled
// mid-chunk and the caller sits waiting for it, so a split runs slower than one thread would. A split
// call that took longer than the caller's time per chunk times the number of chunks (about the one-thread
// time) is a loss; LOSSES_TO_PAUSE losses in a row pause splitting for a back-off that doubles from
// MIN_PAUSE_MS up to MAX_PAUSE_MS, and a call that wins resets it.
const LOSSES_TO_PAUSE = 3;
const MIN_PAUSE_MS = 50;
const MAX_PAUSE_MS = 2000;
/**
 * The GEMM kernel's split units, as the loaded build exports them (assembly/gemm.ts): rows of C that its
 * tiles run whole (row chunks are multiples, the last one excepted) and columns per panel (column chunks are
 * whole panels).
 */
const GEMM_ROW_GRANULE = kernels.gemmRowGranule();
const PANEL_COLUMNS = kernels.gemmPanelWidth();
/** Row kernels compute each row alone; chunks of them keep even row counts (the last one excepted). */
const ROW_GRANULE = 2;
/**
 * GEMMs with at least one column panel per thread are split by column panels of C, others by rows. A
 * column chunk packs only its own panels of op(B) and runs them over all the rows; a row chunk packs all
 * of op(B) for its rows, so row chunks repeat the packing. Measured on 2 threads of AMD EPYC Zen 4 (Node
 * 24, one process alternating the two, medians of 15 rounds), columns in 4 chunks per thread over rows in
 * one per thread: 1.00x at 512^3, 1.00x at 1000x128x784, 1.09x at 256^3, 1.22x at 128^3; row chunks cost
 * 0.95x at 512^3 and 0.82x at 256^3 in 4 chunks per thread. Weight gradients (A transposed: X^T dZ) go by
 * rows all the same when every thread gets rows: every column chunk would read all of X, the layer's
 * input, where a row chunk reads its own part and packs dZ, which is small (W1 on two threads against
 * build 1a66609, in the same minutes: 1.020 and 1.011 by rows, 0.969 by columns; medians of 21 epochs).
 */
let splitByColumns = true;
/**
 * GEMMs of at least CHUNKED_MIN_MACS multiply-adds are cut into CHUNKS_PER_THREAD chunks per thread, which
 * the threads claim as they get free: a thread the host slows down (another tenant on its core; two
 * threads ran their equal shares 1.34x apart in the same call) takes fewer chunks instead of holding the
 * call up. Smaller GEMMs get one chunk per thread: W1's (64x784x128, 6.4M multiply-adds) in 4 chunks per
 * thread cost W1 8% on two threads (0.913 and 0.920 of the build before chunks, against 1.011-1.016 for
 * one chunk per thread: one process alternating builds, medians of 21 epochs).
 */
const CHUNKS_PER_THREAD = 4;
const CHUNKED_MIN_MACS = 1 << 23;
let chunksPerThread = CHUNKS_PER_THREAD;
let chunkedMinMacs = CHUNKED_MIN_MACS;

const ENV_VARIABLE = 'SIMDNET_THREADS';

// ---------------------------------------------------------------------------------------------------
// How many threads

interface ProcessLike {
  getBuiltinModule?(name: 'node:os'): { availableParallelism?(): number } | undefined;
}

/** SIMDNET_THREADS, if set and readable. */
function threadsFromEnvironment(): number | undefined {
  const text = environmentVariable(ENV_VARIABLE);
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_THREADS) {
    throw new RangeError(`${ENV_VARIABLE}="${text}" is not a thread count: expected a whole number from 1 to ${MAX_THREADS}`);
  }
  return value;
}

/** Logical cores: navigator.hardwareConcurrency (Deno, Bun, Node >= 21), else os.availableParallelism(). */
function availableCores(): number {
  const fromNavigator = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof fromNavigator === 'number' && fromNavigator >= 1) return fromNavigator;
  const os = (globalThis as { process?: ProcessLike }).process?.getBuiltinModule?.('node:os');
  const cores = os?.availableParallelism?.();
  return typeof cores === 'number' && cores >= 1 ? cores : 1;
}

let requestedThreads = Math.min(MAX_THREADS, threadsFromEnvironment() ?? availableCores());

// ---------------------------------------------------------------------------------------------------
// Workers

// One way to start workers that works in Node, Deno and Bun alike (all tried): node:worker_threads with a
// data: URL module holding the source of worker.ts's functions. A worker *file* needs --allow-read in Deno (with either
// Worker API), and Deno's web Worker cannot be unref'd, so it would keep the process alive.
const WORKER_URL = new URL(
  'data:text/javascript,' +
    encodeURIComponent(`import { parentPort } from 'node:worker_threads';\n${callViews}\n${callKernel}\n${runChunks}\n(${workerMain})(parentPort);\n`),
);

let workerThreads: Promise<typeof import('node:worker_threads')> | null = null;
let nextWorkerId = 1;

/** One worker and its control block. Lives in `slots` from spawn until it exits or is retired. */
class Slot {
  readonly id = nextWorkerId++;
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  /** The pointer this worker's chunks get for the call's scratch argument (its own `scratch`). */
  readonly scratchArgument = new Float64Array(this.control.buffer, LAYOUT.scratchByteOffset, 1);
  /** Each lane's error text, by CallBlock. */
  readonly errorTexts = LAYOUT.lanes.map((lane) => new Uint16Array(this.control.buffer, lane.errorByteOffset, LAYOUT.maxErrorLength));
  worker: NodeWorker | null = null;
  /** Set when the pool lets this worker go: fewer threads wanted, or it stopped responding. */
  retired = false;
  /** Whether a retired worker gets a successor once its thread is gone (it failed, rather than was unwanted). */
  replaceOnExit = false;
  /** Set when the caller gave up waiting for this worker mid-job: it may still write its scratch. */
  abandoned = false;
  /** This worker's B-packing scratch: a block of `scratchBytes` bytes (0 when none is reserved yet). */
  scratch = 0;
  scratchBytes = 0;
  readonly ready: Promise<void>;

  constructor() {
    this.ready = this.#start().catch((error: unknown) => {
      // Not respawned by itself (no retry loop): the next setThreads() call tries again.
      this.retired = true;
      removeSlot(this);
      throw error;
    });
    // A worker started lazily has no one awaiting it; its failure only means fewer threads.
    this.ready.catch(() => {});
  }

  get isReady(): boolean {
    return !this.retired && Atomics.load(this.control, LAYOUT.ready) === 1;
  }

  async #start(): Promise<void> {
    workerThreads ??= import('node:worker_threads');
    const { Worker } = await workerThreads;
    if (this.retired) return;
    const worker = new Worker(WORKER_URL);
    this.worker = worker;
    worker.unref();
    const init: WorkerInit = {
      module: backend.module,
      memory: backend.memory,
      control: this.control.buffer as SharedArrayBuffer,
      call: CALL.header.buffer as SharedArrayBuffer,
      background: BACKGROUND.header.buffer as SharedArrayBuffer,
      layout: LAYOUT,
      ops: OPS,
      spinMicros: WORKER_SPIN_MICROS,
    };
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      // Without an 'error' listener, an exception inside the worker would be rethrown on the main thread.
      worker.on('error', (error) => reject(error));
      worker.once('exit', (code) => {
        const unwanted = this.retired;
        onWorkerExit(this);
        if (unwanted) resolve();
        else reject(new Error(`simdnet worker ${this.id} exited with code ${code} before it was ready`));
      });
      worker.postMessage(init);
    });
  }

  /** Stops the worker and drops it from `slots`. */
  retire(replace: boolean): void {
    this.retired = true;
    this.replaceOnExit = replace;
    removeSlot(this);
    // An idle worker never touches its scratch again; an abandoned one may, until its thread is gone.
    if (!this.abandoned) this.releaseScratch();
    void this.worker?.terminate();
  }

  /** A pointer to at least `bytes` bytes of this worker's scratch (0 when bytes is 0), grown on demand. */
  reserveScratch(bytes: number): number {
    if (bytes <= this.scratchBytes) return bytes === 0 ? 0 : this.scratch;
    // Allocate before releasing: if the allocation throws, the old scratch is still valid.
    const ptr = allocate(bytes);
    if (this.scratch !== 0) release(this.scratch);
    this.scratch = ptr;
    this.scratchBytes = bytes;
    return ptr;
  }

  releaseScratch(): void {
    if (this.scratch !== 0) release(this.scratch);
    this.scratch = 0;
    this.scratchBytes = 0;
  }
}

let slots: Slot[] = [];
let started = false;
let parallelCalls = 0;
let workerShares = 0;
let takenBack = 0;
let gemmMinMacs = DEFAULT_GEMM_MIN_MACS;
let rowsMinBytes = DEFAULT_ROWS_MIN_BYTES;
let adaptive = true;

/**
 * The oversubscription guard (see LOSSES_TO_PAUSE): counts split calls that lost to one thread and pauses
 * splitting after a run of them. Times are performance.now() milliseconds, passed in.
 */
export class SplitGuard {
  #losses = 0;
  #pauseMs = MIN_PAUSE_MS;
  #pausedUntil = 0;
  /** How many times it paused splitting. */
  pauses = 0;

  allows(now: number): boolean {
    return now >= this.#pausedUntil;
  }

  /**
   * A split call took `elapsedMs`; one thread would have taken about `oneThreadMs`. Only a call in which
   * every worker ran chunks (`everyWorkerRan`) can lose to oversubscription (a descheduled worker the caller
   * waits for). A call whose chunks the caller ran alone, because a worker woke too late to find one (or
   * never claimed its job), ran at one-thread speed: neutral, not a loss. Counting it made W1's first
   * two-thread epoch pause splitting three times, and one bench run in three ran W1 at one thread's speed;
   * it would also make an idle pool, whose workers had gone to sleep, pause itself, sleep again and never split.
   */
  record(elapsedMs: number, oneThreadMs: number, now: number, everyWorkerRan = true): void {
    if (!everyWorkerRan) return;
    if (elapsedMs <= oneThreadMs) {
      this.#losses = 0;
      this.#pauseMs = MIN_PAUSE_MS;
      return;
    }
    if (++this.#losses < LOSSES_TO_PAUSE) return;
    this.#losses = 0;
    this.pauses++;
    this.#pausedUntil = now + this.#pauseMs;
    this.#pauseMs = Math.min(MAX_PAUSE_MS, this.#pauseMs * 2);
  }
}
let guard = new SplitGuard();

function removeSlot(slot: Slot): void {
  slots = slots.filter((s) => s !== slot);
}

function onWorkerExit(slot: Slot): void {
  // A worker that was working and died is replaced; one that never came up is not (no respawn loop).
  const replace = slot.retired ? slot.replaceOnExit : Atomics.load(slot.control, LAYOUT.ready) === 1;
  slot.retired = true;
  removeSlot(slot);
  // The thread is gone, so nothing writes the scratch any more (even that of an abandoned job).
  slot.releaseScratch();
  if (replace) resize().catch(() => {});
}

/** Starts or stops workers so that there are requestedThreads - 1 of them (the caller is a thread too). */
function resize(): Promise<void> {
  started = true;
  const helpers = backend.shared ? requestedThreads - 1 : 0;
  for (const extra of slots.slice(helpers)) extra.retire(false);
  while (slots.length < helpers) slots.push(new Slot());
  return Promise.all(slots.map((s) => s.ready)).then(() => {});
}

/**
 * Sets how many threads compute (the calling thread included): 1 means no workers. Returns a promise that
 * resolves once the workers are up; the synchronous API works meanwhile, on fewer threads.
 */
export function setThreads(count: number): Promise<void> {
  if (typeof count !== 'number') throw new TypeError(`setThreads: count must be a number, got ${typeof count}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_THREADS) {
    throw new RangeError(`setThreads: count must be a whole number from 1 to ${MAX_THREADS}, got ${count}`);
  }
  requestedThreads = count;
  // The background job's worker may be retired below: its job ends first.
  settleBackground();
  return resize();
}

/**
 * Threads that compute large kernels, the calling thread included: setThreads(), else SIMDNET_THREADS, else
 * the available cores; 1 when the runtime has no shared memory.
 */
export function getThreads(): number {
  return backend.shared ? requestedThreads : 1;
}

/** Whether a GEMM of these sizes is big enough to be split across threads (guard and readiness aside). */
export function gemmSplits(m: number, n: number, k: number): boolean {
  return (Math.floor(m / GEMM_ROW_GRANULE) >= 2 || Math.floor(n / PANEL_COLUMNS) >= 2) && m * n * k >= gemmMinMacs && getThreads() > 1;
}

/** Whether a split GEMM goes by column panels of C rather than by rows (see splitByColumns). */
function splitsByColumns(m: number, n: number, transA: number): boolean {
  const weightGradientByRows = transA !== 0 && m >= GEMM_ROW_GRANULE * getThreads();
  return splitByColumns && !weightGradientByRows && Math.floor(n / PANEL_COLUMNS) >= getThreads();
}

/**
 * Starts the workers if they are not started yet (a training loop calls this before its first epoch, so
 * threads and their memory come up front rather than mid-run). Resolves once they are up; never rejects:
 * a worker that fails to start only means fewer threads.
 */
export function startWorkers(): Promise<void> {
  if (getThreads() <= 1) return Promise.resolve();
  return (started ? Promise.all(slots.map((s) => s.ready)).then(() => {}) : resize()).catch(() => {});
}

/** Bytes held by the workers' packing scratch (included in `memory().bytes`). */
export function workerScratchBytes(): number {
  return slots.reduce((sum, s) => sum + s.scratchBytes, 0);
}

/**
 * Frees the workers' packing scratch; the next split GEMM reserves it again. Only between calls (the pool
 * runs jobs only inside parallelGemm and parallelRows): every worker in `slots` is idle then.
 */
export function releaseWorkerScratch(): void {
  for (const slot of slots) slot.releaseScratch();
}

// One split call lives in the call block CALL (its arguments and chunks, read by every thread) and in these
// module-level arrays, reused by every call, so a split call allocates next to nothing in JavaScript (the
// kernel's arguments go through callArgs: see callKernel). Worker w of the call is shareSlots[w].
const CALL = callViews(new SharedArrayBuffer(CallLimits.Bytes));
const shareSlots: Slot[] = [];
const shareClaimed: boolean[] = [];
/** The caller's chunk progress (runChunks' `progress`) and its argument list. */
const callerProgress = new Int32Array(2);
const callArgs = new Float64Array(CallLimits.MaxArgs);

/** Runs kernel OPS[op] with `args` on the calling thread alone (through callArgs, as callKernel says why). */
function callUnsplit(op: number, args: readonly number[]): number {
  for (let j = 0; j < args.length; j++) callArgs[j] = args[j];
  return callKernel(opFunctions[op], callArgs);
}
let generation = 0;

/**
 * Puts up to `max` workers ready for a job now into shareSlots and returns how many; starts the pool on
 * first need. A worker running the background job is ready too: it claims its share once that job ends.
 */
function collectReadyWorkers(max: number): number {
  // Lazily started workers have no one awaiting them: a failure to start only means fewer threads.
  if (!started && getThreads() > 1) resize().catch(() => {});
  let count = 0;
  // An index loop: a for-of here allocated an iterator result per call in the sampling heap profile.
  for (let i = 0; i < slots.length && count < max; i++) {
    if (slots[i].isReady) shareSlots[count++] = slots[i];
  }
  return count;
}

/** Posts a job in lane `block`: run chunks of the call in that call block. */
function post(slot: Slot, block: CallBlock): void {
  const { control } = slot;
  const lane = LAYOUT.lanes[block];
  control[lane.errorLength] = 0;
  Atomics.store(control, lane.state, JobState.Posted);
  Atomics.add(control, LAYOUT.sequence, 1);
  Atomics.notify(control, LAYOUT.sequence);
}

/** Takes a posted job back if no worker has claimed it yet; a cancelled job never runs. */
function takeBack(slot: Slot, block: CallBlock): boolean {
  return Atomics.compareExchange(slot.control, LAYOUT.lanes[block].state, JobState.Posted, JobState.Cancelled) === JobState.Posted;
}

/** Waits for a claimed job; returns null when it is done, else why it failed. */
function awaitJob(slot: Slot, block: CallBlock, callerMs: number): string | null {
  const { control } = slot;
  const lane = LAYOUT.lanes[block];
  const start = performance.now();
  const spinUntil = start + CALLER_SPIN_MS;
  for (;;) {
    const state = Atomics.load(control, lane.state);
    if (state === JobState.Done) return null;
    if (state === JobState.Failed) {
      return String.fromCharCode(...slot.errorTexts[block].subarray(0, control[lane.errorLength]));
    }
    const now = performance.now();
    if (now < spinUntil) continue;
    if (now - start > RUN_TIMEOUT_MS + 100 * callerMs) {
      slot.abandoned = true;
      slot.retire(true);
      return `still running after ${Math.round(now - start)} ms (the worker died mid-job); it is being replaced`;
    }
    Atomics.wait(control, lane.state, state, WAIT_SLICE_MS);
  }
}

// ---------------------------------------------------------------------------------------------------
// Kernels, split by rows (or GEMM by column panels)

// A split call runs one kernel over units [0, units) of its operands, rows (or a GEMM's columns), cut into
// chunks of whole granules (row pairs, column panels) whose sizes are within a granule of each other.
// Every thread -- the caller and each worker -- claims chunks from the call block until none is left
// (runChunks), so a thread slowed down by the host (another tenant on its core) takes fewer chunks instead
// of holding the whole call up. Chunk arguments follow from the whole call's: argument j advances by
// unitBytes[j] bytes per unit (a pointer of 0, "none", stays 0), argument `countArg` becomes the chunk's
// units times `countPerUnit`, and the others are the same in every chunk. The kernels split this way
// compute each row (each element of C) from its own inputs alone, in the same order whichever chunk holds
// it, so any split gives the bits one thread gives.

/** What the split call computes, for error messages: a GEMM's m, n, k, or a row kernel's rows and columns. */
const callSizes = [0, 0, 0];
let callByColumns = false;
const gemmArgs: number[] = [];
const gemmUnitBytes: number[] = [];
const rowBytes: number[] = [];

/** "rows 32..63 of a 64x1024x1024 GEMM", for chunk `chunk` of the call in the call block. */
function describeChunk(chunk: number): string {
  const [rows, n, k] = callSizes;
  const op = CALL.header[CallSlot.Op];
  const what = op === OP_GEMM ? `a ${rows}x${n}x${k} GEMM` : `${OPS[op]} over ${rows} rows of ${n}`;
  if (chunk < 0) return `before its first chunk of ${what}`;
  const first = CALL.first[chunk];
  return `${op === OP_GEMM && callByColumns ? 'columns' : 'rows'} ${first}..${CALL.first[chunk + 1] - 1} of ${what}`;
}

/**
 * Cuts `units` (rows or columns) into at most `chunks` chunks of whole granules (the last takes the rest)
 * in the call block, and returns the most units a chunk has (what a worker's scratch must fit).
 */
function planChunks(units: number, chunks: number, granule: number): number {
  const count = Math.max(1, Math.min(chunks, Math.floor(units / granule), CallLimits.MaxChunks));
  CALL.first[count] = units;
  let largest = 0;
  for (let i = count - 1; i >= 0; i--) {
    CALL.first[i] = granule * Math.round((i * units) / (granule * count));
    largest = Math.max(largest, CALL.first[i + 1] - CALL.first[i]);
  }
  CALL.header[CallSlot.Chunks] = count;
  return largest;
}

/**
 * Pack scratch that fits every column chunk of the call just planned: the largest chunk's, or the last
 * chunk's when that is more. The others hold whole panels; the last also holds n's n % 4 tail, which
 * gemmPackBytes counts apart (a GEMM whose B is read in place packs only that tail), so 45 columns in
 * chunks of 24 and 21 need the 21's scratch, and the 24's is none at all.
 */
function columnChunkPackBytes(m: number, largest: number, k: number, transB: number): number {
  const count = CALL.header[CallSlot.Chunks];
  const last = CALL.first[count] - CALL.first[count - 1];
  return Math.max(kernels.gemmPackBytes(m, largest, k, transB), kernels.gemmPackBytes(m, last, k, transB));
}

/** How many workers take part in a call of `units` that is big enough to split (0: run it on the caller). */
function helpersFor(units: number, granule: number): number {
  if (adaptive && !guard.allows(performance.now())) return 0;
  return collectReadyWorkers(Math.floor(units / granule) - 1);
}

/** Chunks for a split GEMM-like call with `threads` threads and `macs` multiply-adds (see CHUNKS_PER_THREAD). */
function gemmChunks(threads: number, macs: number): number {
  return macs >= chunkedMinMacs ? threads * chunksPerThread : threads;
}

/**
 * Writes a call into call block `call` (its chunks are planned apart) and opens it to claims under
 * `callGeneration`: runChunks' arguments and roles, as runChunked describes them.
 */
function writeCall(
  call: CallViews, callGeneration: number, op: number, args: readonly number[], argCount: number,
  unitBytes: readonly number[], countArg: number, countPerUnit: number, scratchArg: number, indexArg: number,
): void {
  const { header } = call;
  header[CallSlot.Op] = op;
  header[CallSlot.ArgCount] = argCount;
  header[CallSlot.CountArg] = countArg;
  header[CallSlot.CountPerUnit] = countPerUnit;
  header[CallSlot.IndexArg] = indexArg;
  header[CallSlot.ScratchArg] = scratchArg;
  for (let j = 0; j < argCount; j++) {
    call.args[j] = args[j];
    call.unitBytes[j] = unitBytes[j];
  }
  header[CallSlot.Generation] = callGeneration;
  Atomics.store(header, CallSlot.Claim, callGeneration << 16);
}

/**
 * Runs kernel OPS[op] over the chunks planned by planChunks on `helpers` workers and the caller: writes
 * the call block, posts the workers' jobs, runs chunks on the caller until none is left, takes back the
 * jobs no worker has claimed, then waits for the claimed ones. Argument `scratchArg` (-1: none) is per
 * thread: worker w's chunks get its `scratch` (reserved by the caller, to fit any chunk), the caller's
 * keep the call's. Returns the bitwise OR of the chunks' results (0 for kernels that return nothing).
 */
function runChunked(
  op: number, helpers: number, args: readonly number[], argCount: number,
  unitBytes: readonly number[], countArg: number, countPerUnit: number, scratchArg: number, indexArg = -1,
): number {
  generation = (generation + 1) & 0x7fff;
  writeCall(CALL, generation, op, args, argCount, unitBytes, countArg, countPerUnit, scratchArg, indexArg);
  const { header } = CALL;
  for (let w = 0; w < helpers; w++) post(shareSlots[w], CallBlock.Split);
  parallelCalls++;
  let result = 0;
  const start = performance.now();
  let callerError: unknown = null;
  callerProgress[1] = 0;
  try {
    result = runChunks(CALL, generation, opFunctions, scratchArg >= 0 ? args[scratchArg] : 0, callerProgress, callArgs);
  } catch (error) {
    callerError = error;
  }
  const callerMs = performance.now() - start;
  // Every job is taken back or waited for before anything is thrown: no worker may touch the outputs afterwards.
  for (let w = 0; w < helpers; w++) {
    shareClaimed[w] = !takeBack(shareSlots[w], CallBlock.Split);
    if (!shareClaimed[w]) takenBack++;
  }
  let workersThatRan = 0;
  let failures: string[] | null = null;
  for (let w = 0; w < helpers; w++) {
    if (!shareClaimed[w]) continue;
    const slot = shareSlots[w];
    const failure = awaitJob(slot, CallBlock.Split, callerMs);
    if (failure === null) {
      result |= slot.control[SPLIT_LANE.result];
      if (slot.control[SPLIT_LANE.chunksRun] > 0) workersThatRan++;
    } else {
      (failures ??= []).push(`worker ${slot.id} (${describeChunk(slot.control[SPLIT_LANE.chunk])}): ${failure}`);
    }
  }
  workerShares += workersThatRan;
  if (callerError !== null) throw callerError;
  if (failures !== null) throw new Error(`simdnet thread pool: ${failures.join('; ')}`);
  if (adaptive && callerProgress[1] > 0) {
    const end = performance.now();
    // The caller's time per chunk times the chunks: about the one-thread time.
    guard.record(end - start, (callerMs * header[CallSlot.Chunks]) / callerProgress[1], end, workersThatRan === helpers);
  }
  return result;
}

/**
 * The wasm gemm (same arguments, assembly/README.md), split across the ready workers and the calling thread
 * when it has at least the threshold's multiply-adds: by column panels of C when every thread gets one,
 * else by rows (see splitByColumns), in chunks (see CHUNKS_PER_THREAD). The kernel computes every element of C the same way
 * whatever rows and panels a call covers, so the result is bit-identical to one thread. Returns the kernel's
 * result, ORed over the chunks: 1 when `saved` (the update epilogue, 0 = none) is given and a value stored
 * in C is not finite.
 */
export function parallelGemm(
  transA: number, transB: number, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number, ldb: number,
  beta: number, c: number, ldc: number, bias: number, act: number, actParam: number, pack: number, saved = 0,
): number {
  const byColumns = splitsByColumns(m, n, transA);
  const granule = byColumns ? PANEL_COLUMNS : GEMM_ROW_GRANULE;
  const helpers = gemmSplits(m, n, k) ? helpersFor(byColumns ? n : m, granule) : 0;
  if (helpers === 0) {
    return kernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actParam, pack, saved);
  }
  const largest = planChunks(byColumns ? n : m, gemmChunks(helpers + 1, m * n * k), granule);
  // Each worker packs op(B) panels into its own persistent scratch, grown here when a chunk needs more
  // (so a training loop allocates nothing after its first batches). The caller's `pack` fits any chunk it
  // computes (gemmPackBytes never decreases with m, and a column chunk keeps n's remainder mod 4).
  // Reserved before posting anything, so a failed allocation leaves no job running.
  const scratchBytes = byColumns ? columnChunkPackBytes(m, largest, k, transB) : kernels.gemmPackBytes(largest, n, k, transB);
  for (let w = 0; w < helpers; w++) shareSlots[w].scratchArgument[0] = shareSlots[w].reserveScratch(scratchBytes);
  gemmArgs[0] = transA; gemmArgs[1] = transB; gemmArgs[2] = m; gemmArgs[3] = n; gemmArgs[4] = k; gemmArgs[5] = alpha;
  gemmArgs[6] = a; gemmArgs[7] = lda; gemmArgs[8] = b; gemmArgs[9] = ldb; gemmArgs[10] = beta; gemmArgs[11] = c;
  gemmArgs[12] = ldc; gemmArgs[13] = bias; gemmArgs[14] = act; gemmArgs[15] = actParam; gemmArgs[16] = pack; gemmArgs[17] = saved;
  // Bytes each pointer advances per row (or per column) of a chunk.
  gemmUnitBytes.length = GEMM_ARG_COUNT;
  gemmUnitBytes.fill(0);
  if (byColumns) {
    gemmUnitBytes[8] = transB !== 0 ? ldb * 4 : 4; // a column of op(B)
    gemmUnitBytes[11] = 4; // a column of C
    gemmUnitBytes[13] = 4; // a bias entry
    gemmUnitBytes[17] = 4; // a column of C's saved copy
  } else {
    gemmUnitBytes[6] = transA !== 0 ? 4 : lda * 4; // a row of op(A)
    gemmUnitBytes[11] = ldc * 4; // a row of C
    gemmUnitBytes[17] = ldc * 4; // a row of C's saved copy
  }
  callByColumns = byColumns;
  callSizes[0] = m; callSizes[1] = n; callSizes[2] = k;
  return runChunked(OP_GEMM, helpers, gemmArgs, GEMM_ARG_COUNT, gemmUnitBytes, byColumns ? 3 : 2, 1, 16);
}

/** convWeightGradients' arguments (assembly/README.md): its channel count, and the pointers that advance by a channel. */
const CONV_GRADIENT_ARG_COUNT = 14;
const CONV_GRADIENT_CHANNELS_ARG = 4;
const CONV_GRADIENT_PACK_ARG = 13;
const CONV_GRADIENT_CHANNEL_POINTERS = [1, 2, 7, 11];
/**
 * Channels per chunk of a split convWeightGradients: whole panels of either build (8 or 16 columns). Each
 * chunk reads all of the layer's im2col matrix, so chunks of the relaxed build's 8-column panel cost the
 * digits convnet's training 0.93x on two threads (32 and 64 filters; paired in one process, 7 rounds).
 */
const CONV_GRADIENT_CHANNEL_GRANULE = 16;
const convGradientUnitBytes: number[] = new Array<number>(CONV_GRADIENT_ARG_COUNT).fill(0);
for (const j of CONV_GRADIENT_CHANNEL_POINTERS) convGradientUnitBytes[j] = 4;

/**
 * The wasm convWeightGradients (same arguments) split by output channels, in chunks of whole panels, across the
 * ready workers and the caller when its dW GEMMs (patch x filters x m multiply-adds) pass the GEMM
 * threshold: each thread sums its channels' dz, db and dW over all the chunks in one call, where splitting
 * each chunk's GEMM would synchronize per chunk (conv1 of the digits convnet: 85 chunks of 1024 rows per
 * batch of 128). Each channel is computed alone, so the result is bit-identical to one thread. Workers pack
 * into their own scratch; the caller's `pack` fits any chunk.
 */
export function parallelConvWeightGradients(args: readonly number[]): void {
  const op = OPS.indexOf('convWeightGradients');
  const [, , , m, filters, , , , , , patch, , chunkRows] = args;
  const helpers = gemmSplits(patch, filters, m) && Math.floor(filters / CONV_GRADIENT_CHANNEL_GRANULE) >= 2 ? helpersFor(filters, CONV_GRADIENT_CHANNEL_GRANULE) : 0;
  if (helpers === 0) {
    callUnsplit(op, args);
    return;
  }
  const largest = planChunks(filters, gemmChunks(helpers + 1, patch * filters * m), CONV_GRADIENT_CHANNEL_GRANULE);
  const scratchBytes = columnChunkPackBytes(patch, largest, Math.min(chunkRows, m), 0);
  for (let w = 0; w < helpers; w++) shareSlots[w].scratchArgument[0] = shareSlots[w].reserveScratch(scratchBytes);
  callByColumns = true;
  callSizes[0] = patch; callSizes[1] = filters; callSizes[2] = m;
  runChunked(op, helpers, args, CONV_GRADIENT_ARG_COUNT, convGradientUnitBytes, CONV_GRADIENT_CHANNELS_ARG, 1, CONV_GRADIENT_PACK_ARG);
}

/** How a chunk of rows [first, first + count) changes an argument of a row kernel (cols: floats per row). */
const enum RowArg {
  /** The same in every chunk. */
  Same,
  /** A pointer to rows of `cols` floats: += first * cols * 4 (a 0 pointer, "none", stays 0). */
  Rows,
  /** A pointer to one 4-byte entry per row: += first * 4. */
  PerRow,
  /** A pointer to one 8-byte (f64) entry per row: += first * 8. */
  PerRow64,
  /** The chunk's float count: count * cols. */
  FloatCount,
  /** The chunk's row count. */
  RowCount,
  /** The index of the chunk's first float (dropout's `start`, which keys its random stream): first * cols. */
  FloatIndex,
  /** A row length in floats for the OtherRows pointers (the same in every chunk): pooling's input images. */
  OtherCols,
  /** A pointer to rows of OtherCols floats (an operand whose rows are not `cols` long): += first * OtherCols * 4. */
  OtherRows,
  /** The index of the chunk's first row (im2col's first image): first. */
  RowIndex,
}

/** A pooling window's geometry: height, width, channels, outHeight, outWidth, poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft. */
const POOL_GEOMETRY = new Array<RowArg.Same>(11).fill(RowArg.Same);

/** The wasm kernels parallelRows splits, with the role of each argument (assembly/README.md). */
const ROW_KERNELS = {
  // (w, g, n, lr, gScale, clip, savedW)
  sgd: [RowArg.Rows, RowArg.Rows, RowArg.FloatCount, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Rows],
  // (w, g, v, n, lr, momentum, nesterov, gScale, clip, savedW, savedV)
  sgdMomentum: [
    RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
    RowArg.Rows, RowArg.Rows,
  ],
  // (w, g, m, v, n, lr, beta1, beta2, eps, correction1, correction2, keep, gScale, clip, savedW, savedM, savedV)
  adam: [
    RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount,
    RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
    RowArg.Rows, RowArg.Rows, RowArg.Rows,
  ],
  // (w, g, meanSquare, mom, meanGrad, n, lr, rho, momentum, eps, gScale, clip, savedW, savedMeanSquare, savedMom, savedMeanGrad)
  rmsprop: [
    RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount,
    RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
    RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.Rows,
  ],
  // (w, g, acc, n, lr, eps, gScale, clip, savedW, savedAcc)
  adagrad: [RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Rows, RowArg.Rows],
  // (x, out, rows, cols): one f64 sum of squares per row
  sumSquaresRows: [RowArg.Rows, RowArg.PerRow64, RowArg.RowCount, RowArg.Same],
  // (src, cols, idx, count, dst): dst rows follow the chunk, src rows are wherever idx points
  gatherRows: [RowArg.Same, RowArg.Same, RowArg.PerRow, RowArg.RowCount, RowArg.Rows],
  // (x, y, mask, n, rate, seed, start): the mask of element i is keyed by start + i, so a chunk keeps its bits
  dropoutForward: [RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount, RowArg.Same, RowArg.Same, RowArg.FloatIndex],
  // (dy, mask, dx, n)
  dropoutBackward: [RowArg.Rows, RowArg.Rows, RowArg.Rows, RowArg.FloatCount],
  // (x, y, rows, cols, mean, variance, gamma, beta, epsilon): per-column statistics, each row on its own
  batchNormForward: [RowArg.Rows, RowArg.Rows, RowArg.RowCount, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same],
  // Pooling (assembly/pooling.ts), split by images: a row is an output image (cols = its floats); the input
  // images are OtherRows. (x, xImageFloats, y, argmax, images, height, width, channels, outHeight, outWidth,
  // poolHeight, poolWidth, strideHeight, strideWidth, padTop, padLeft); argmax 0 = not saved
  maxPoolForwardF32x4: [RowArg.OtherRows, RowArg.OtherCols, RowArg.Rows, RowArg.Rows, RowArg.RowCount, ...POOL_GEOMETRY],
  // (dy, argmax, outImageFloats, dx, dxImageFloats, images)
  maxPoolBackward: [RowArg.Rows, RowArg.Rows, RowArg.Same, RowArg.OtherRows, RowArg.OtherCols, RowArg.RowCount],
  // (x, xImageFloats, y, images, ...geometry)
  avgPoolForwardF32x4: [RowArg.OtherRows, RowArg.OtherCols, RowArg.Rows, RowArg.RowCount, ...POOL_GEOMETRY],
  // (dy, dx, dxImageFloats, images, ...geometry)
  avgPoolBackwardF32x4: [RowArg.Rows, RowArg.OtherRows, RowArg.OtherCols, RowArg.RowCount, ...POOL_GEOMETRY],
  // Global pooling: a row is an input image (cols = positions * channels), the other operand has `channels` per image.
  // (x, y, images, positions, channels)
  globalAvgPoolForwardF32x4: [RowArg.Rows, RowArg.OtherRows, RowArg.RowCount, RowArg.Same, RowArg.OtherCols],
  // (dy, dx, images, positions, channels)
  globalAvgPoolBackwardF32x4: [RowArg.OtherRows, RowArg.Rows, RowArg.RowCount, RowArg.Same, RowArg.OtherCols],
  // (x, cols, first, count, h, w, c, kh, kw, strideY, strideX, padTop, padLeft, oh, ow): rows = images, each image's patches on their own
  im2colNHWC: [
    RowArg.Same, RowArg.Same, RowArg.RowIndex, RowArg.RowCount,
    RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
  ],
  // (cols, dx, first, count, ...): each image's dx zeroed and summed from that image's rows alone
  col2imNHWC: [
    RowArg.Same, RowArg.Same, RowArg.RowIndex, RowArg.RowCount,
    RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
  ],
  // (x, colsT, first, count, columns, h, w, kh, kw, ...): each image writes its own columns of every row
  im2colTransposedC1: [
    RowArg.Same, RowArg.Same, RowArg.RowIndex, RowArg.RowCount,
    RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same, RowArg.Same,
  ],
} as const satisfies Record<string, readonly RowArg[]>;
export type RowKernel = keyof typeof ROW_KERNELS;

/** Kernels a worker can run, by index (the names of wasm exports): the GEMM, Conv2D's weight gradients, then every row kernel above. */
const OPS: readonly string[] = ['gemm', 'convWeightGradients', ...Object.keys(ROW_KERNELS)];
/** The same kernels on this thread; each returns a number or nothing. */
const opFunctions = OPS.map((name) => kernels[name as 'gemm' | 'convWeightGradients' | RowKernel] as (...values: number[]) => number | undefined);

/** Per row kernel, derived once from its roles: its index in OPS and the argument that holds the count. */
interface RowSplit {
  readonly op: number;
  readonly roles: readonly RowArg[];
  readonly countArg: number;
  /** The count is of floats (rows * cols), not of rows. */
  readonly countsFloats: boolean;
  /** The argument that holds a float or row index (FloatIndex, RowIndex), or -1. */
  readonly indexArg: number;
  /** The argument that holds the OtherRows row length (OtherCols), or -1. */
  readonly otherColsArg: number;
}
function rowSplitOf(name: RowKernel): RowSplit {
  const roles = ROW_KERNELS[name];
  const countArg = roles.findIndex((role) => role === RowArg.FloatCount || role === RowArg.RowCount);
  return { op: OPS.indexOf(name), roles, countArg, countsFloats: roles[countArg] === RowArg.FloatCount, indexArg: roles.findIndex((role) => role === RowArg.FloatIndex || role === RowArg.RowIndex), otherColsArg: (roles as readonly RowArg[]).indexOf(RowArg.OtherCols) };
}
const ROW_SPLITS = Object.fromEntries((Object.keys(ROW_KERNELS) as RowKernel[]).map((name) => [name, rowSplitOf(name)])) as Record<RowKernel, RowSplit>;

/** Whether a row kernel over `rows` rows of `cols` floats is big enough to be split (guard and readiness aside). */
export function rowsSplit(rows: number, cols: number): boolean {
  return Math.floor(rows / ROW_GRANULE) >= 2 && rows * cols * 4 >= rowsMinBytes && getThreads() > 1;
}

/** How far each argument of a row kernel (`split`, rows of `cols` floats) advances per row, into `out`. */
function rowUnitBytes({ roles, otherColsArg }: RowSplit, cols: number, args: readonly number[], out: number[]): void {
  for (let j = 0; j < roles.length; j++) {
    const role = roles[j];
    out[j] = role === RowArg.Rows ? cols * 4 : role === RowArg.PerRow ? 4 : role === RowArg.PerRow64 ? 8 : role === RowArg.FloatIndex ? cols : role === RowArg.RowIndex ? 1 : 0;
    if (role === RowArg.OtherRows) out[j] = args[otherColsArg] * 4;
  }
}

/**
 * Runs the wasm kernel `name` with `args` over `rows` rows of `cols` floats, split by rows across the ready
 * workers and the caller when it has at least the threshold's bytes; returns the bitwise OR of the chunks'
 * results (the optimizer kernels' "not finite" flag). Row kernels compute each row from that row alone, so
 * the result is bit-identical to one thread.
 */
export function parallelRows(name: RowKernel, rows: number, cols: number, args: readonly number[]): number {
  const { op, roles, countArg, countsFloats, indexArg } = ROW_SPLITS[name];
  const helpers = rowsSplit(rows, cols) ? helpersFor(rows, ROW_GRANULE) : 0;
  if (helpers === 0) return callUnsplit(op, args);
  planChunks(rows, helpers + 1, ROW_GRANULE);
  rowUnitBytes(ROW_SPLITS[name], cols, args, rowBytes);
  callByColumns = false;
  callSizes[0] = rows; callSizes[1] = cols;
  return runChunked(op, helpers, args, roles.length, rowBytes, countArg, countsFloats ? cols : 1, -1, indexArg);
}

// ---------------------------------------------------------------------------------------------------
// One background job

// A row kernel a worker runs while the caller goes on with other work, e.g. the gather of the next
// mini-batch during a training step (step.ts): on two threads a split 64-row gather of 784 floats took a
// fifth of W2's step, and nothing else uses the worker between its split GEMMs. The job lives in its own
// call block (BACKGROUND) and its own lane of the worker's control block, so split calls go on posting to
// that worker. It runs the job in chunks of BACKGROUND_CHUNK_ROWS rows and a split call's job between two
// of them, so a split call waits at most a chunk for its worker. When the owner collects the job
// (finishBackground), its thread runs the chunks still unclaimed and waits for the worker's; only then may
// it read what the job wrote, and until then it keeps the job's operands alive and unwritten. There is at
// most one job: another owner (a second fit interleaved with the first) gets none meanwhile and runs its
// kernel itself.

const BACKGROUND = callViews(new SharedArrayBuffer(CallLimits.Bytes));
/** Rows per chunk of the background job: 8 rows of 784 floats gather in about 2.5 us. */
const BACKGROUND_CHUNK_ROWS = 8;
const backgroundUnitBytes: number[] = [];
/** The pending job's ticket (0: none), its worker (null once it ended), its kernel and rows, and how it ended. */
let backgroundTicket = 0;
let backgroundSlot: Slot | null = null;
let backgroundKernel: RowKernel = 'gatherRows';
let backgroundRows = 0;
let backgroundCols = 0;
let backgroundFailure: string | null = null;
let backgroundGeneration = 0;
let backgroundPosted = 0;
let backgroundTakenBack = 0;

/**
 * Posts kernel `name` over `rows` rows of `cols` floats with `args` to a ready worker and returns the job's
 * ticket for finishBackground, or returns 0 and runs nothing (one thread, no worker ready, splitting paused
 * by the guard, another job pending): the caller then runs the kernel itself.
 */
export function startBackgroundRows(name: RowKernel, rows: number, cols: number, args: readonly number[]): number {
  if (backgroundTicket !== 0 || getThreads() <= 1 || (adaptive && !guard.allows(performance.now()))) return 0;
  // Not collectReadyWorkers: that starts the pool on first need, and a job nobody waits for must not.
  let slot: Slot | null = null;
  for (let i = 0; i < slots.length && slot === null; i++) if (slots[i].isReady) slot = slots[i];
  if (slot === null) return 0;
  const split = ROW_SPLITS[name];
  const chunkRows = Math.max(BACKGROUND_CHUNK_ROWS, Math.ceil(rows / CallLimits.MaxChunks));
  const chunks = Math.ceil(rows / chunkRows);
  BACKGROUND.header[CallSlot.Chunks] = chunks;
  for (let i = 0; i <= chunks; i++) BACKGROUND.first[i] = Math.min(rows, i * chunkRows);
  rowUnitBytes(split, cols, args, backgroundUnitBytes);
  backgroundGeneration = (backgroundGeneration + 1) & 0x7fff;
  writeCall(BACKGROUND, backgroundGeneration, split.op, args, split.roles.length, backgroundUnitBytes, split.countArg, split.countsFloats ? cols : 1, -1, split.indexArg);
  backgroundSlot = slot;
  backgroundKernel = name;
  backgroundRows = rows;
  backgroundCols = cols;
  backgroundFailure = null;
  backgroundPosted++;
  post(slot, CallBlock.Background);
  backgroundTicket = backgroundPosted;
  return backgroundTicket;
}

/**
 * Ends the background job without throwing: runs its chunks no thread has claimed here (all of them if the
 * worker never took the job), then waits for the worker's; a failure is kept for the owner's finishBackground.
 */
function settleBackground(): void {
  const slot = backgroundSlot;
  if (slot === null) return;
  backgroundSlot = null;
  const workerHasIt = !takeBack(slot, CallBlock.Background);
  if (!workerHasIt) backgroundTakenBack++;
  callerProgress[1] = 0;
  try {
    runChunks(BACKGROUND, backgroundGeneration, opFunctions, 0, callerProgress, callArgs);
  } catch (error) {
    backgroundFailure = `the calling thread: ${String(error)}`;
  }
  // Waited for even after a failure here: no worker may touch the outputs once this returns.
  const failure = workerHasIt ? awaitJob(slot, CallBlock.Background, 0) : null;
  if (failure !== null) backgroundFailure ??= `worker ${slot.id}: ${failure}`;
}

/**
 * Waits for the job of `ticket` (startBackgroundRows' return; 0 or an ended job: nothing to do) and throws
 * if it failed: after this, what it wrote may be read.
 */
export function finishBackground(ticket: number): void {
  if (ticket === 0 || ticket !== backgroundTicket) return;
  settleBackground();
  backgroundTicket = 0;
  const failure = backgroundFailure;
  backgroundFailure = null;
  if (failure !== null) throw new Error(`simdnet thread pool: background ${backgroundKernel} over ${backgroundRows} rows of ${backgroundCols}: ${failure}`);
}

// ---------------------------------------------------------------------------------------------------
// Diagnostics, tuning and tests

export interface PoolStatus {
  threads: number;
  workers: number;
  readyWorkers: number;
  /** Calls split across threads so far. */
  parallelCalls: number;
  /** Jobs of those calls in which a worker ran chunks (one or more), and jobs the caller took back unclaimed. */
  workerShares: number;
  takenBack: number;
  /** Times the oversubscription guard paused splitting (since setAdaptiveSplitting was last called). */
  pauses: number;
  /** Background jobs posted to a worker, and those the caller took back unclaimed and ran itself. */
  backgroundJobs: number;
  backgroundTakenBack: number;
}

export function poolStatus(): PoolStatus {
  return {
    threads: getThreads(),
    workers: slots.length,
    readyWorkers: slots.filter((s) => s.isReady).length,
    parallelCalls,
    workerShares,
    takenBack,
    pauses: guard.pauses,
    backgroundJobs: backgroundPosted,
    backgroundTakenBack,
  };
}

/**
 * The live node:worker_threads Worker objects (for diagnostics and the pool's own failure tests).
 * @internal Left out of the declarations: a consumer without @types/node could not resolve the type.
 */
export function poolWorkers(): NodeWorker[] {
  return slots.flatMap((s) => (s.worker === null ? [] : [s.worker]));
}

/**
 * Turns the oversubscription guard on (the default) or off: off, every call above the threshold is split
 * (tests of the split itself, benchmarks of raw split speed). Returns the previous setting.
 */
export function setAdaptiveSplitting(on: boolean): boolean {
  const previous = adaptive;
  adaptive = on;
  guard = new SplitGuard();
  return previous;
}

/** `value` if it is a finite count >= 0, else a RangeError naming the setter. */
function checkCount(setter: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${setter}: ${value} is not a count >= 0`);
  return value;
}

/** Sets the multiply-add count from which GEMM is split across threads (returns the previous one). */
export function setGemmThreshold(minMacs: number): number {
  const previous = gemmMinMacs;
  gemmMinMacs = checkCount('setGemmThreshold', minMacs);
  return previous;
}

/** Sets the byte count from which row kernels are split across threads (returns the previous one). */
export function setRowsThreshold(minBytes: number): number {
  const previous = rowsMinBytes;
  rowsMinBytes = checkCount('setRowsThreshold', minBytes);
  return previous;
}

/**
 * Sets how many chunks per thread GEMMs of at least `minMacs` multiply-adds are cut into (1: one chunk per
 * thread); returns the previous [perThread, minMacs].
 */
export function setGemmChunking(perThread: number, minMacs: number): [number, number] {
  const previous: [number, number] = [chunksPerThread, chunkedMinMacs];
  if (!Number.isInteger(perThread) || perThread < 1) throw new RangeError(`setGemmChunking: ${perThread} is not a chunk count >= 1`);
  chunkedMinMacs = checkCount('setGemmChunking', minMacs);
  chunksPerThread = perThread;
  return previous;
}

/** Sets whether GEMMs are split by column panels when each thread gets one (the default) or always by rows; returns the previous setting. */
export function setGemmSplitByColumns(on: boolean): boolean {
  const previous = splitByColumns;
  splitByColumns = on;
  return previous;
}
