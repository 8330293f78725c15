// The body of every pool worker. pool.ts starts each worker from the source text of this file's three
// functions (a data: URL module), not from this file's URL: a worker file needs --allow-read in Deno, a
// data: URL needs no permission in Node, Deno or Bun. So `callViews`, `runChunks` and `workerMain` must
// stay self-contained: they may use only their parameters, globals, each other and the const enums below
// (tsc inlines their values), never an import or another binding of this module.

/** The part of node:worker_threads' parentPort a worker uses. */
export interface WorkerPort {
  once(event: 'message', listener: (message: WorkerInit) => void): unknown;
  postMessage(message: unknown): void;
}

/**
 * One job lane of a worker's control block: the slots of the job that runs the call in one call block
 * (CallBlock). A worker holds a split call's job and the background job at once, and runs them in turn.
 */
export interface LaneLayout {
  /** A JobState: the caller posts, the worker claims (or finds the job cancelled) and finishes it. */
  readonly state: number;
  /** The bitwise OR of the kernel's return values over the chunks this worker ran (0 when it returns nothing). */
  readonly result: number;
  /**
   * The chunk this worker is running, then ran last (after a failure: the one that failed; -1 before its
   * first of the job), and how many it ran: runChunks' `progress`, so chunksRun is chunk + 1.
   */
  readonly chunk: number;
  readonly chunksRun: number;
  /** Length of the error text of a failed job, and the byte offset of that UTF-16 text. */
  readonly errorLength: number;
  readonly errorByteOffset: number;
}

/** Slots of a worker's control block (an Int32Array over its own SharedArrayBuffer). */
export interface ControlLayout {
  /** 1 once the worker has instantiated the module and waits for jobs. */
  readonly ready: number;
  /** Bumped by the caller for each job; the worker sleeps on it. */
  readonly sequence: number;
  /** The job lanes, by CallBlock. */
  readonly lanes: readonly LaneLayout[];
  /** Byte offset of the float64 pointer to this worker's own scratch (for the call's scratch argument). */
  readonly scratchByteOffset: number;
  /** How many code units of error text each lane holds. */
  readonly maxErrorLength: number;
}

/** Job states. A worker claims a job (compare-exchange POSTED -> RUNNING); the caller takes back one that is
 * still unclaimed when the call's chunks are all taken (POSTED -> CANCELLED), so it never runs. */
export const enum JobState {
  Idle = 0,
  Posted = 1,
  Running = 2,
  Done = 3,
  Failed = 4,
  Cancelled = 5,
}

/**
 * The call block: one SharedArrayBuffer per pool that describes the split call in progress. Its header
 * (Int32) holds these slots; then come the call's arguments (float64), the bytes each argument advances
 * per unit of a chunk (float64), and the chunk boundaries (Int32: chunk i covers units
 * [first[i], first[i + 1])).
 */
export const enum CallSlot {
  /** (generation << 16) | the next unclaimed chunk: threads claim chunks by compare-exchange on it. */
  Claim = 0,
  /** The call's generation (15 bits): a claim word of another generation belongs to an earlier call. */
  Generation = 1,
  Chunks = 2,
  Op = 3,
  ArgCount = 4,
  /** The argument that holds the chunk's count (its units times CountPerUnit). */
  CountArg = 5,
  CountPerUnit = 6,
  /** The argument that holds an index that moves with the chunk (-1: none); it may be 0 and still move. */
  IndexArg = 7,
  /** The argument that is each thread's own scratch pointer (-1: none). */
  ScratchArg = 8,
}

/** The call blocks (and job lanes): the split call in progress, and the one background job (pool.ts, startBackgroundRows). */
export const enum CallBlock {
  Split = 0,
  Background = 1,
}

export const enum CallLimits {
  HeaderInts = 16,
  MaxArgs = 24,
  MaxChunks = 64,
  ArgsByteOffset = HeaderInts * 4,
  UnitBytesByteOffset = ArgsByteOffset + MaxArgs * 8,
  FirstByteOffset = UnitBytesByteOffset + MaxArgs * 8,
  /** The call block's size. */
  Bytes = FirstByteOffset + (MaxChunks + 1) * 4,
}

/** Views of a call block. */
export interface CallViews {
  readonly header: Int32Array;
  readonly args: Float64Array;
  readonly unitBytes: Float64Array;
  readonly first: Int32Array;
}

/** The call block's views over `buffer` (CallLimits.Bytes bytes). */
export function callViews(buffer: SharedArrayBuffer): CallViews {
  return {
    header: new Int32Array(buffer, 0, CallLimits.HeaderInts),
    args: new Float64Array(buffer, CallLimits.ArgsByteOffset, CallLimits.MaxArgs),
    unitBytes: new Float64Array(buffer, CallLimits.UnitBytesByteOffset, CallLimits.MaxArgs),
    first: new Int32Array(buffer, CallLimits.FirstByteOffset, CallLimits.MaxChunks + 1),
  };
}

/**
 * Claims chunks of the call in `call` one at a time until none is left (or the call is no longer the one of
 * `generation`, or `progress[1]` reaches `maxRun`) and runs each: argument j advances by unitBytes[j] per
 * unit from the chunk's first one (a 0 pointer, "none", stays 0), the count argument becomes the chunk's
 * units times CountPerUnit, the scratch argument becomes `scratch`. `progress[0]` holds the chunk running
 * (so a failure can name it), `progress[1]` counts the chunks run. Returns the bitwise OR of the kernel's
 * results. Both the caller and every worker run this.
 */
export function runChunks(
  call: CallViews, generation: number, ops: readonly ((...values: number[]) => unknown)[], scratch: number,
  progress: Int32Array, callArgs: Float64Array, maxRun = Infinity,
): number {
  const { header, args, unitBytes, first } = call;
  const run = ops[header[CallSlot.Op]];
  const argCount = header[CallSlot.ArgCount];
  const countArg = header[CallSlot.CountArg];
  const indexArg = header[CallSlot.IndexArg];
  const scratchArg = header[CallSlot.ScratchArg];
  const chunks = header[CallSlot.Chunks];
  let result = 0;
  while (progress[1] < maxRun) {
    const claim = Atomics.load(header, CallSlot.Claim);
    const chunk = claim & 0xffff;
    if (claim >>> 16 !== generation || chunk >= chunks) return result;
    if (Atomics.compareExchange(header, CallSlot.Claim, claim, claim + 1) !== claim) continue;
    progress[0] = chunk;
    const from = first[chunk];
    for (let j = 0; j < argCount; j++) {
      const value = args[j];
      callArgs[j] = j === countArg ? (first[chunk + 1] - from) * header[CallSlot.CountPerUnit]
        : unitBytes[j] === 0 || (value === 0 && j !== indexArg) ? value : value + from * unitBytes[j];
    }
    if (scratchArg >= 0) callArgs[scratchArg] = scratch;
    result |= callKernel(run, callArgs);
    progress[1]++;
  }
  return result;
}

/**
 * Calls kernel `run` with the arguments in `c` (CallLimits.MaxArgs of them; a kernel ignores those past its
 * arity) and returns its result as a number (0 for none). One by one from a Float64Array: spreading a
 * JavaScript array of doubles into the call boxed every argument: 1.6 of the 9.2 MB a sampling heap profile
 * found allocated on the main thread over two epochs of W1's fit, and the same per chunk on each worker.
 */
export function callKernel(run: (...values: number[]) => unknown, c: Float64Array): number {
  return Number(run(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19], c[20], c[21], c[22], c[23]) ?? 0);
}

/** The one message a worker receives, right after it starts. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly call: SharedArrayBuffer;
  readonly background: SharedArrayBuffer;
  readonly layout: ControlLayout;
  /** Names of the kernel exports the worker may be asked to run (by index). */
  readonly ops: readonly string[];
  /** How long an idle worker polls for the next job before it sleeps in Atomics.wait (microseconds). */
  readonly spinMicros: number;
}

/**
 * Runs a pool worker: waits for jobs in the control block and runs each lane's posted job (chunks of the
 * call in that lane's call block), forever. The background job goes one chunk at a time, and a split call's
 * job posted meanwhile runs between two of its chunks: the caller is waiting for that one.
 */
export function workerMain(port: WorkerPort): void {
  port.once('message', (init) => {
    const { layout } = init;
    const control = new Int32Array(init.control);
    const scratch = new Float64Array(init.control, layout.scratchByteOffset, 1);
    const lanes = layout.lanes.map((lane, block) => ({
      lane,
      call: callViews(block === CallBlock.Split ? init.call : init.background),
      errorText: new Uint16Array(init.control, lane.errorByteOffset, layout.maxErrorLength),
      progress: control.subarray(lane.chunk, lane.chunk + 2),
    }));
    // The same compiled code over the same memory: the instance differs only in its (stateless) globals.
    const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    const ops = init.ops.map((name) => exports[name] as (...values: number[]) => unknown);
    const callArgs = new Float64Array(CallLimits.MaxArgs);
    /**
     * Runs the lane's job if one is posted (a job the caller took back must not run). `yields`: one chunk at a
     * time, with the split lane's job, if one was posted meanwhile, run before each.
     */
    const runJob = ({ lane, call, errorText, progress }: (typeof lanes)[number], yields: boolean): void => {
      if (Atomics.compareExchange(control, lane.state, JobState.Posted, JobState.Running) !== JobState.Posted) return;
      let outcome = JobState.Done;
      progress[0] = -1;
      progress[1] = 0;
      try {
        const generation = call.header[CallSlot.Generation];
        if (!yields) {
          control[lane.result] = runChunks(call, generation, ops, scratch[0], progress, callArgs);
        } else {
          let result = 0;
          // Until a round claims no chunk.
          for (let ran = -1; progress[1] > ran; ) {
            runJob(lanes[CallBlock.Split], false);
            ran = progress[1];
            result |= runChunks(call, generation, ops, scratch[0], progress, callArgs, ran + 1);
          }
          control[lane.result] = result;
        }
      } catch (error) {
        const text = String(error instanceof Error ? `${error.name}: ${error.message}` : error);
        const length = Math.min(text.length, errorText.length);
        for (let i = 0; i < length; i++) errorText[i] = text.charCodeAt(i);
        control[lane.errorLength] = length;
        outcome = JobState.Failed;
      }
      Atomics.store(control, lane.state, outcome);
      Atomics.notify(control, lane.state);
    };
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
      // Read before the lanes: a job posted after this read bumps the sequence again, so it is not missed.
      seen = Atomics.load(control, layout.sequence);
      runJob(lanes[CallBlock.Split], false);
      runJob(lanes[CallBlock.Background], true);
    }
  });
}
