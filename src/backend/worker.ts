// The body of every pool worker. pool.ts starts each worker from the source text of `workerMain` (a
// data: URL module), not from this file's URL: a worker file needs --allow-read in Deno, a data: URL needs
// no permission in Node, Deno or Bun. So `workerMain` must stay self-contained: it may use only its
// parameter, globals and JobState (a const enum: tsc inlines its values), never an import or another
// binding of this module.

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
  /** Index into `WorkerInit.ops` of the kernel to run. */
  readonly op: number;
  /** How many of the float64 arguments the kernel takes. */
  readonly argCount: number;
  /** The kernel's return value (0 when it returns nothing). */
  readonly result: number;
  /** Length of the error text of a failed job. */
  readonly errorLength: number;
  /** Byte offset of the float64 arguments, and how many fit. */
  readonly argsByteOffset: number;
  readonly maxArgs: number;
  /** Byte offset of the UTF-16 error text, and how many code units fit. */
  readonly errorByteOffset: number;
  readonly maxErrorLength: number;
}

/** Job states. A worker claims a job (compare-exchange POSTED -> RUNNING); the caller takes back one that is
 * still unclaimed when it has finished its own share (POSTED -> CANCELLED) and computes it itself. */
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
  /** Names of the kernel exports the worker may be asked to run (by index). */
  readonly ops: readonly string[];
  /** How long an idle worker polls for the next job before it sleeps in Atomics.wait (microseconds). */
  readonly spinMicros: number;
}

/** Runs a pool worker: waits for jobs in the control block and runs them on the shared memory, forever. */
export function workerMain(port: WorkerPort): void {
  port.once('message', (init) => {
    const { layout } = init;
    const control = new Int32Array(init.control);
    const args = new Float64Array(init.control, layout.argsByteOffset, layout.maxArgs);
    const errorText = new Uint16Array(init.control, layout.errorByteOffset, layout.maxErrorLength);
    // The same compiled code over the same memory: the instance differs only in its (stateless) globals.
    const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    const ops = init.ops.map((name) => exports[name] as (...values: number[]) => unknown);
    const callArgs: number[] = [];
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
      // A job the caller took back (it computed that share itself) must not run a second time.
      if (Atomics.compareExchange(control, layout.state, JobState.Posted, JobState.Running) !== JobState.Posted) continue;
      let outcome = JobState.Done;
      try {
        callArgs.length = control[layout.argCount];
        for (let i = 0; i < callArgs.length; i++) callArgs[i] = args[i];
        control[layout.result] = Number(ops[control[layout.op]](...callArgs) ?? 0);
      } catch (error) {
        const text = String(error instanceof Error ? `${error.name}: ${error.message}` : error);
        const length = Math.min(text.length, errorText.length);
        for (let i = 0; i < length; i++) errorText[i] = text.charCodeAt(i);
        control[layout.errorLength] = length;
        outcome = JobState.Failed;
      }
      Atomics.store(control, layout.state, outcome);
      Atomics.notify(control, layout.state);
    }
  });
}
