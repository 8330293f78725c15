// V8's sampling profiler around a piece of work, for the profile scripts: self time per function, wasm
// functions under their AssemblyScript names (the wasm keeps its name section).
import { Session } from 'node:inspector/promises';

/**
 * Runs `work` (may be async) under the profiler at a 100 us interval; returns its result and a Map from
 * "wasm name", "js name (folder/file)" or a V8 pseudo-entry ("(program)", "(garbage collector)") to microseconds.
 */
export async function profiled(work) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const result = await work();
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const selfTime = new Map();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const { functionName, url } = nodes.get(id).callFrame;
    const name = functionName || '(anonymous)';
    const key = url.startsWith('wasm') ? `wasm ${name}` : url ? `js ${name} (${url.split('/').slice(-2).join('/')})` : name;
    selfTime.set(key, (selfTime.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return { result, selfTime };
}
