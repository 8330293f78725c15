// The body of every pool worker, and the chunk claiming it shares with the calling thread. pool.ts starts
// each worker from the source text of `claimChunk` and `workerMain` (a data: URL module), not from this
// file's URL: a worker file needs --allow-read in Deno, a data: URL needs no permission in Node, Deno or
// Bun. So both functions must stay self-contained: they may use only their parameters, globals and
// JobState (a const enum: tsc inlines its values), never an import or another binding of this module.

/** The part of node:worker_threads' parentPort a worker uses. */
export interface WorkerPort {
  once(event: 'message', listener: (message: WorkerInit) => void): unknown;
  postMessage(message: unknown): void;
}

/** Slots of a worker's control block (an Int32Array over its own SharedArrayBuffer). */
export interface ControlLayout {
  /** 1 once the worker has instantiated the module and waits for jobs. */
  readonly ready: number;
  /** Bumped by the caller for each job; the worker sleeps on it. */
  readonly sequence: number;
  /** A JobState: the caller posts, the worker claims (or finds the job cancelled) and finishes it. */
  readonly state: number;
  /** Which share of the call this worker owns: it claims that share's chunks first (see claimChunk). */
  readonly owner: number;
  /** The bitwise OR of the kernel's return values over the worker's chunks (0 for kernels returning nothing). */
  readonly result: number;
  /** How many chunks the worker computed in this job. */
  readonly chunksDone: number;
  /** The chunk the worker is computing, or whose kernel threw in a failed job. */
  readonly chunk: number;
  /** Length of the error text of a failed job. */
  readonly errorLength: number;
  /** Byte offset of the float64 pointer to this worker's scratch (its B-packing buffer). */
  readonly scratchByteOffset: number;
  /** Byte offset of the UTF-16 error text, and how many code units fit. */
  readonly errorByteOffset: number;
  readonly maxErrorLength: number;
}

/**
 * The call block, one SharedArrayBuffer for the whole pool, read by every thread of a split call: which
 * kernel, its arguments, how they change per chunk, and the chunks. A split call covers units [0, units)
 * (rows, or a GEMM's columns); chunk c covers [chunkFirst[c], chunkFirst[c] + chunkUnits[c]). Its
 * arguments: argument j plus chunkFirst * unitBytes[j] (a pointer of 0, "none", stays 0); argument
 * countArg = chunkUnits * countPerUnit; argument scratchArg (-1: none) = the thread's own scratch.
 */
export interface CallLayout {
  /** Int32 slots. */
  readonly op: number;
  readonly argCount: number;
  readonly countArg: number;
  readonly countPerUnit: number;
  readonly scratchArg: number;
  /** How many shares (owners) the call has. */
  readonly shares: number;
  /** The call's tag (see rangeWord). */
  readonly tag: number;
  /** Int32 index of the shares' chunk ranges, a rangeWord per share. */
  readonly ranges: number;
  /** Int32 indexes of the chunk table (chunkFirst, chunkUnits), maxChunks entries each. */
  readonly chunkFirst: number;
  readonly chunkUnits: number;
  readonly maxChunks: number;
  /** Byte offsets of the float64 arguments and of their per-unit byte steps, maxArgs of each. */
  readonly argsByteOffset: number;
  readonly unitBytesByteOffset: number;
  readonly maxArgs: number;
}

/** Job states. A worker claims a job (compare-exchange POSTED -> RUNNING); the caller takes back one that is
 * still unclaimed when it has run out of chunks (POSTED -> CANCELLED): a cancelled job never runs. */
export const enum JobState {
  Idle = 0,
  Posted = 1,
  Running = 2,
  Done = 3,
  Failed = 4,
  Cancelled = 5,
}

/** The one message a worker receives, right after it starts. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly layout: ControlLayout;
  readonly call: SharedArrayBuffer;
  readonly callLayout: CallLayout;
  /** Names of the kernel exports the worker may be asked to run (by index). */
  readonly ops: readonly string[];
  /** How long an idle worker polls for the next job before it sleeps in Atomics.wait (microseconds). */
  readonly spinMicros: number;
}

/**
 * A share's unclaimed chunks [front, back) (11 bits each) with the tag of the call (9 bits) that planned
 * them. Each call has a new tag, so a worker still busy with an old call (one the caller gave up on) can
 * never claim a chunk of a later one: its compare-exchange would need the old tag.
 */
export function rangeWord(tag: number, front: number, back: number): number {
  return (tag << 22) | (front << 11) | back;
}

/**
 * Claims the next chunk for share `self` of the call tagged `tag` with `shares` shares (ranges: the call
 * block's range words from index `at`): the front of its own range first, in order, so that balanced
 * threads compute exactly their own shares (the same rows as the GEMM that wrote them, still in their
 * caches); once that is empty, the back of another share's range. Returns the chunk, or -1 when no chunk
 * of that call is left. Uses no other binding of this module (see the top of the file).
 */
export function claimChunk(ranges: Int32Array, at: number, shares: number, self: number, tag: number): number {
  for (let i = 0; i < shares; i++) {
    const owner = (self + i) % shares;
    for (;;) {
      const word = Atomics.load(ranges, at + owner);
      const front = (word >>> 11) & 0x7ff;
      const back = word & 0x7ff;
      if (word >>> 22 !== tag || front >= back) break;
      const claimed = owner === self ? word + (1 << 11) : word - 1;
      if (Atomics.compareExchange(ranges, at + owner, word, claimed) === word) return owner === self ? front : back - 1;
    }
  }
  return -1;
}

/** Runs a pool worker: waits for jobs in the control block and runs their chunks on the shared memory, forever. */
export function workerMain(port: WorkerPort, claim: typeof claimChunk): void {
  port.once('message', (init) => {
    const { layout, callLayout: at } = init;
    const control = new Int32Array(init.control);
    const scratch = new Float64Array(init.control, layout.scratchByteOffset, 1);
    const errorText = new Uint16Array(init.control, layout.errorByteOffset, layout.maxErrorLength);
    const call = new Int32Array(init.call);
    const callArgs = new Float64Array(init.call, at.argsByteOffset, at.maxArgs);
    const unitBytes = new Float64Array(init.call, at.unitBytesByteOffset, at.maxArgs);
    // The same compiled code over the same memory: the instance differs only in its (stateless) globals.
    const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    const ops = init.ops.map((name) => exports[name] as (...values: number[]) => unknown);
    const args: number[] = [];
    // Read before announcing readiness: the caller may post the first job the moment it sees `ready`.
    let seen = Atomics.load(control, layout.sequence);
    Atomics.store(control, layout.ready, 1);
    Atomics.notify(control, layout.ready);
    port.postMessage('ready');
    for (;;) {
      // Poll briefly (a training loop calls GEMM again within microseconds), then sleep.
      const spinUntil = performance.now() + init.spinMicros / 1000;
      while (Atomics.load(control, layout.sequence) === seen && performance.now() < spinUntil);
      while (Atomics.load(control, layout.sequence) === seen) Atomics.wait(control, layout.sequence, seen);
      seen = Atomics.load(control, layout.sequence);
      // A job the caller took back must not run: the call block may already describe another call.
      if (Atomics.compareExchange(control, layout.state, JobState.Posted, JobState.Running) !== JobState.Posted) continue;
      const run = ops[call[at.op]];
      const countArg = call[at.countArg];
      const countPerUnit = call[at.countPerUnit];
      const scratchArg = call[at.scratchArg];
      const self = control[layout.owner];
      const shares = call[at.shares];
      const tag = call[at.tag];
      args.length = call[at.argCount];
      let outcome = JobState.Done;
      let result = 0;
      let done = 0;
      for (let chunk = claim(call, at.ranges, shares, self, tag); chunk >= 0; chunk = claim(call, at.ranges, shares, self, tag)) {
        const first = call[at.chunkFirst + chunk];
        for (let j = 0; j < args.length; j++) {
          const value = callArgs[j];
          args[j] = unitBytes[j] === 0 || value === 0 ? value : value + first * unitBytes[j];
        }
        args[countArg] = call[at.chunkUnits + chunk] * countPerUnit;
        if (scratchArg >= 0) args[scratchArg] = scratch[0];
        control[layout.chunk] = chunk;
        try {
          result |= Number(run(...args) ?? 0);
          done++;
        } catch (error) {
          const text = String(error instanceof Error ? `${error.name}: ${error.message}` : error);
          const length = Math.min(text.length, errorText.length);
          for (let i = 0; i < length; i++) errorText[i] = text.charCodeAt(i);
          control[layout.errorLength] = length;
          outcome = JobState.Failed;
          // The call has failed: leave no chunk for the other threads to start (empty ranges, same tag).
          for (let i = 0; i < shares; i++) Atomics.store(call, at.ranges + i, tag << 22);
          break;
        }
      }
      control[layout.result] = result;
      control[layout.chunksDone] = done;
      Atomics.store(control, layout.state, outcome);
      Atomics.notify(control, layout.state);
    }
  });
}
