// What the host runtime is and what its environment says, the same way in Node, Deno and Bun.

interface DenoLike {
  permissions: { querySync(descriptor: { name: 'env'; variable: string }): { state: string } };
  env: { get(name: string): string | undefined };
}
interface ProcessLike {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?(name: 'node:v8'): { setFlagsFromString(flags: string): void } | undefined;
}

/** An environment variable, if set and readable. Deno: read only when --allow-env grants it (querying never prompts). */
export function environmentVariable(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno !== undefined) {
    return deno.permissions.querySync({ name: 'env', variable: name }).state === 'granted' ? deno.env.get(name) : undefined;
  }
  return (globalThis as { process?: ProcessLike }).process?.env?.[name];
}

/** True in Bun, whose engine (JavaScriptCore) is not V8. */
export function isBun(): boolean {
  return (globalThis as { Bun?: unknown }).Bun !== undefined;
}

/**
 * Turns on a V8 flag for this process (node:v8 setFlagsFromString), in Node only; returns false elsewhere.
 * Wasm feature flags are read when a module is validated or compiled, so setting one before that works.
 */
export function setNodeV8Flag(flag: string): boolean {
  const process = (globalThis as { process?: ProcessLike }).process;
  const deno = (globalThis as { Deno?: unknown }).Deno;
  if (deno !== undefined || isBun() || process?.versions?.node === undefined) return false;
  const v8 = process.getBuiltinModule?.('node:v8');
  if (v8 === undefined) return false;
  v8.setFlagsFromString(flag);
  return true;
}
