// Per-call timing shared by simdnet and its peers in bench/run.mjs, so both sides are measured alike.

/**
 * Median seconds per call of `fn`: after `warmMs` of calls (JIT tiers, worker start-up), `rounds` rounds
 * of at least `roundMs` each (at least one call); a round's figure is its time over its calls. Rounds of
 * many calls spread over a second or more: on this 2-core VM split work has slow spells (the one-thread
 * figures stay steady meanwhile), and a median of consecutive single calls (a few ms in all) could fall
 * in one of them.
 */
export function medianSecondsPerCall(fn, { warmMs = 1500, rounds = 9, roundMs = 150 } = {}) {
  const warmUntil = performance.now() + warmMs;
  while (performance.now() < warmUntil) fn();
  const perCall = [];
  for (let r = 0; r < rounds; r++) perCall.push(roundSeconds(fn, roundMs));
  perCall.sort((x, y) => x - y);
  return perCall[perCall.length >> 1];
}

/** Seconds per call of `fn` over one round of at least `roundMs` (at least one call). */
export function roundSeconds(fn, roundMs) {
  const t0 = performance.now();
  let calls = 0;
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = performance.now() - t0;
  } while (elapsed < roundMs);
  return elapsed / 1000 / calls;
}
