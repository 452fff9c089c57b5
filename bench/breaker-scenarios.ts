/**
 * The breaker's and the retry's required behaviours (docs/routing.md, issue 21) run against each
 * variant of bench/breaker-variants.ts with real timers, and the cost of each library's wrapper on a
 * call that succeeds at once. Bench-only; the routing bench prints the results (docs/libraries.md).
 */
import {
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  IRetryBackoffContext,
  retry,
  wrap,
} from 'cockatiel';
import Opossum from 'opossum';
import type { BreakerPolicy, RetryPolicy } from '../src/config/providers.config';
import { BreakerPermit, BreakerState, CLOSED_CALL, CircuitBreaker } from '../src/synthesis/routing/circuit-breaker';
import { retryDelayMs, sleep } from '../src/synthesis/routing/retry-delay';
import { Breaker, BREAKER_VARIANTS, BreakerVariant, breakerOf, settled } from './breaker-variants';

const POLICY: BreakerPolicy = { failure_threshold: 3, window_ms: 400, cooldown_ms: 150 };
/** Read afresh each time (a getter TypeScript would otherwise narrow across awaits). */
const stateOf = (breaker: Breaker): BreakerState => breaker.state;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round3 = (value: number) => Math.round(value * 1000) / 1000;

async function report(breaker: Breaker, permit: BreakerPermit | undefined, outcome: 'success' | 'failure' | 'cancelled'): Promise<boolean> {
  if (!permit) return false;
  if (outcome === 'success') breaker.recordSuccess(permit);
  else if (outcome === 'failure') breaker.recordFailure(permit);
  else breaker.release(permit);
  await settled(permit);
  return true;
}

async function failures(breaker: Breaker, count: number): Promise<boolean> {
  for (let i = 0; i < count; i++) if (!(await report(breaker, breaker.tryAcquire(), 'failure'))) return false;
  return true;
}

/** Failed calls until it opens (opossum, counting by percentage, may open before the threshold). */
async function opened(breaker: Breaker): Promise<boolean> {
  for (let i = 0; i < POLICY.failure_threshold && stateOf(breaker) !== 'open'; i++) await report(breaker, breaker.tryAcquire(), 'failure');
  return stateOf(breaker) === 'open';
}

/** Each scenario is one property the router relies on; true when the variant keeps it. */
const SCENARIOS: Record<string, (breaker: Breaker) => Promise<boolean>> = {
  'opens after failure_threshold failures in window_ms, then refuses at once': async (breaker) =>
    (await failures(breaker, POLICY.failure_threshold)) &&
    stateOf(breaker) === 'open' &&
    breaker.tryAcquire() === undefined &&
    breaker.retryInMs() > 0,
  'forgets failures older than window_ms': async (breaker) => {
    await failures(breaker, 2);
    await wait(POLICY.window_ms + 50);
    return (await failures(breaker, 1)) && stateOf(breaker) === 'closed';
  },
  'a success clears the failures counted so far': async (breaker) =>
    (await failures(breaker, 2)) &&
    (await report(breaker, breaker.tryAcquire(), 'success')) &&
    (await failures(breaker, 2)) &&
    stateOf(breaker) === 'closed',
  'a failure after the first audio bytes counts (reported outside any call)': async (breaker) => {
    await failures(breaker, POLICY.failure_threshold - 1);
    breaker.recordFailure(CLOSED_CALL);
    await settled(CLOSED_CALL);
    return stateOf(breaker) === 'open';
  },
  'after the cool-down exactly one probe goes out; its success closes': async (breaker) => {
    if (!(await opened(breaker))) return false;
    await wait(POLICY.cooldown_ms + 10);
    const probe = breaker.tryAcquire();
    if (!probe || breaker.tryAcquire() !== undefined) return false;
    await report(breaker, probe, 'success');
    const next = breaker.tryAcquire();
    return stateOf(breaker) === 'closed' && (await report(breaker, next, 'success'));
  },
  'a failed probe re-opens it for another cool-down': async (breaker) => {
    if (!(await opened(breaker))) return false;
    await wait(POLICY.cooldown_ms + 10);
    await report(breaker, breaker.tryAcquire(), 'failure');
    if (stateOf(breaker) !== 'open' || breaker.tryAcquire() !== undefined) return false;
    await wait(POLICY.cooldown_ms + 10);
    const probe = breaker.tryAcquire();
    return probe !== undefined && (await report(breaker, probe, 'success'));
  },
  'a slow success of a call from before it opened closes it neither in the cool-down nor behind the probe': async (breaker) => {
    const early = [breaker.tryAcquire(), breaker.tryAcquire()];
    if (!(await opened(breaker))) return false;
    await report(breaker, early[0], 'success');
    if (stateOf(breaker) !== 'open' || breaker.tryAcquire() !== undefined) return false;
    await wait(POLICY.cooldown_ms + 10);
    const probe = breaker.tryAcquire();
    await report(breaker, early[1], 'success');
    const undecided = stateOf(breaker) === 'half_open' && breaker.tryAcquire() === undefined;
    await report(breaker, probe, 'failure');
    return undecided && stateOf(breaker) === 'open';
  },
  'a late failure of a call from before it opened leaves the decision to the probe': async (breaker) => {
    const early = breaker.tryAcquire();
    if (!(await opened(breaker))) return false;
    await wait(POLICY.cooldown_ms + 10);
    const probe = breaker.tryAcquire();
    await report(breaker, early, 'failure');
    if (stateOf(breaker) !== 'half_open' || breaker.tryAcquire() !== undefined) return false;
    await report(breaker, probe, 'success');
    return stateOf(breaker) === 'closed';
  },
  'a cancelled probe says nothing: the next call probes': async (breaker) => {
    if (!(await opened(breaker))) return false;
    await wait(POLICY.cooldown_ms + 10);
    await report(breaker, breaker.tryAcquire(), 'cancelled');
    // Neither closed (no probe) nor re-opened for a whole cool-down (no call at all).
    const next = breaker.tryAcquire();
    await report(breaker, next, 'success');
    return next?.probe === true;
  },
};

/** Every scenario against every variant: `{ scenario: { variant: 'kept' | 'NOT kept' } }`. */
export async function breakerScenarios(
  variants: readonly BreakerVariant[] = BREAKER_VARIANTS,
): Promise<Record<string, Record<string, string>>> {
  const table: Record<string, Record<string, string>> = {};
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    table[name] = {};
    for (const variant of variants) {
      const { breaker, dispose } = breakerOf(variant, POLICY);
      try {
        table[name][variant] = (await scenario(breaker)) ? 'kept' : 'NOT kept';
      } finally {
        dispose();
      }
    }
  }
  return table;
}

/**
 * cockatiel as shipped (no refusal while half-open): how long a call that arrives while a 300 ms probe
 * is out waits before it runs, and whether it then runs at all.
 */
export async function cockatielQueuesBehindTheProbe(): Promise<string> {
  const circuit = circuitBreaker(handleAll, { halfOpenAfter: 50, breaker: new ConsecutiveBreaker(1) });
  await circuit.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  await wait(60);
  const probe = circuit.execute(() => wait(300));
  const arrived = performance.now();
  let ranAfter: number | undefined;
  await circuit.execute(async () => void (ranAfter = performance.now() - arrived)).catch(() => undefined);
  await probe;
  return ranAfter === undefined ? 'refused' : `waited ${Math.round(ranAfter)} ms for the probe, then called the provider itself`;
}

class Transient extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('HTTP 429');
  }
}

const RETRY: RetryPolicy = { max_retries: 2, base_delay_ms: 100, max_delay_ms: 2000, max_retry_after_ms: 5000 };

/** The router's retry loop, reduced to the retry: `retryDelayMs`, then `sleep` that a cancellation ends. */
async function ourRetry(call: () => Promise<void>, signal: AbortSignal): Promise<void> {
  for (let retries = 0; ; retries++) {
    try {
      return await call();
    } catch (error) {
      const delay = retries < RETRY.max_retries ? retryDelayMs(RETRY, retries + 1, (error as Transient).retryAfterMs) : undefined;
      if (delay === undefined || signal.aborted) throw error;
      await sleep(delay, signal);
    }
  }
}

/** cockatiel's RetryPolicy with the same rule: Retry-After within the bound, else full jitter. */
const cockatielRetry = retry(
  handleWhen((error) => error instanceof Transient && (error.retryAfterMs ?? 0) <= RETRY.max_retry_after_ms),
  {
    maxAttempts: RETRY.max_retries,
    backoff: new DelegateBackoff<IRetryBackoffContext<unknown>>((context) => {
      const retryAfterMs = 'error' in context.result ? (context.result.error as Transient).retryAfterMs : undefined;
      return retryAfterMs ?? retryDelayMs(RETRY, context.attempt, undefined)!;
    }),
  },
);

/**
 * An upstream answers 429 with `Retry-After: 1`; the caller cancels 100 ms into the wait. How long the
 * retry keeps the request, and how many upstream calls it makes after the cancellation.
 */
export async function cancelDuringRetryAfter(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const runners = {
    ours: (call: () => Promise<void>, signal: AbortSignal) => ourRetry(call, signal),
    'cockatiel RetryPolicy': (call: () => Promise<void>, signal: AbortSignal) => cockatielRetry.execute(call, signal),
  };
  for (const [name, run] of Object.entries(runners)) {
    const controller = new AbortController();
    let callsAfterCancel = 0;
    const call = async () => {
      if (controller.signal.aborted) callsAfterCancel++;
      throw new Transient(1000);
    };
    let cancelledAt = 0;
    setTimeout(() => ((cancelledAt = performance.now()), controller.abort()), 100);
    await run(call, controller.signal).catch(() => undefined);
    out[name] =
      `ended ${Math.round(performance.now() - cancelledAt)} ms after the cancellation, ${callsAfterCancel} upstream call(s) after it`;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * What each wrapper costs on a provider call that succeeds at once (the hot path), in ns per call:
 * rounds of 20,000 calls, the ways taking turns round by round; the median of the rounds.
 */
export async function wrapperCostPerCall(rounds = 15, perRound = 20_000): Promise<Record<string, number>> {
  const work = () => Promise.resolve(1);
  const ours = new CircuitBreaker(POLICY);
  const cockatielBreaker = circuitBreaker(handleAll, { halfOpenAfter: POLICY.cooldown_ms, breaker: new ConsecutiveBreaker(3) });
  const cockatielBoth = wrap(retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() }), cockatielBreaker);
  const opossum = new Opossum(work, { timeout: false, resetTimeout: POLICY.cooldown_ms, rollingCountTimeout: POLICY.window_ms });
  const ways: Record<string, () => Promise<unknown>> = {
    'no breaker (the call alone)': () => work(),
    'ours: tryAcquire + recordSuccess': async () => {
      const permit = ours.tryAcquire()!;
      await work();
      ours.recordSuccess(permit);
    },
    'cockatiel circuitBreaker.execute': () => cockatielBreaker.execute(work),
    'cockatiel wrap(retry, circuitBreaker).execute': () => cockatielBoth.execute(work),
    'opossum fire': () => opossum.fire(),
  };
  const names = Object.keys(ways);
  const perWay = new Map<string, number[]>(names.map((name) => [name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
        const call = ways[name];
        const started = process.hrtime.bigint();
        for (let i = 0; i < perRound; i++) await call();
        perWay.get(name)!.push(Number(process.hrtime.bigint() - started) / perRound);
      }
    }
  } finally {
    opossum.shutdown();
  }
  return Object.fromEntries(names.map((name) => [name, round3(median(perWay.get(name)!))]));
}
