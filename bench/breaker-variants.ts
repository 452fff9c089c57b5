/**
 * The provider breaker with each library the project considered (docs/libraries.md), behind the surface
 * of our CircuitBreaker that ProviderStates and SynthesisRouter use, so the routing bench can put each one
 * in the routed and billed request and run the breaker's required behaviours against each, in one process.
 * Bench-only: the api runs `CircuitBreaker` (src/synthesis/routing/circuit-breaker.ts).
 *
 * Libraries decide around a call they run themselves (`policy.execute(fn)`, `breaker.fire(...)`); our
 * router takes a permit, awaits the provider's first audio and reports the outcome. An adapter's permit
 * therefore starts one library call whose function returns a promise that the outcome settles: exactly
 * what wrapping the router's `call()` in `execute` would do, one library call per provider call. The
 * library learns an outcome a few microtasks after it is reported (as it would after the wrapped promise
 * settles); the scenarios wait a macrotask after each report.
 *
 * Library versions: cockatiel 3.2.1 and opossum 9.0.0, the newest releases that support Node 20
 * (cockatiel 4.0.0 and opossum 10.0.0 declare `node >=22`).
 */
import {
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  IBreaker,
  circuitBreaker as cockatielCircuitBreaker,
  handleWhen,
} from 'cockatiel';
import Opossum from 'opossum';
import type { BreakerPolicy } from '../src/config/providers.config';
import { BreakerPermit, BreakerState, CircuitBreaker } from '../src/synthesis/routing/circuit-breaker';
import type { ProviderStates } from '../src/synthesis/routing/provider-states';
import { alternatingRounds } from './rate-limiter-variants';

/** What ProviderStates and SynthesisRouter call on a provider's breaker. */
export type Breaker = Pick<
  CircuitBreaker,
  'state' | 'tryAcquire' | 'acceptsCalls' | 'retryInMs' | 'recordSuccess' | 'recordFailure' | 'release'
>;

export const BREAKER_VARIANTS = ['ours', 'cockatiel', 'cockatiel-consecutive', 'opossum'] as const;
export type BreakerVariant = (typeof BREAKER_VARIANTS)[number];

/** Why a library call ended without a verdict: the caller left. Neither library has a "release". */
export class CallerCancelled extends Error {}
/** A `provider_rejected` answer: the upstream judged the request, so it is up (our rule). */
export class RejectedByUpstream extends Error {}

interface AdapterPermit extends BreakerPermit {
  readonly settle: (outcome: 'success' | 'failure' | 'cancelled') => void;
  /** Resolves once the library call has ended (the library has seen the outcome). */
  readonly done: Promise<unknown>;
}

const isAdapterPermit = (permit: BreakerPermit): permit is AdapterPermit => 'settle' in permit;

/**
 * Starts one library call whose outcome the returned permit settles; undefined when the library did
 * not invoke the function at once (refused, or queued behind a probe).
 */
function startCall(probe: boolean, run: (work: () => Promise<unknown>) => Promise<unknown>): AdapterPermit | undefined {
  let settle: AdapterPermit['settle'] | undefined;
  const work = () =>
    new Promise<unknown>((resolve, reject) => {
      settle = (outcome) =>
        outcome === 'success' ? resolve(undefined) : reject(outcome === 'cancelled' ? new CallerCancelled() : new Error('provider failed'));
    });
  const done = run(work).catch(() => undefined);
  return settle ? { probe, settle, done } : undefined;
}

/**
 * Our failure rule (`failure_threshold` failures within `window_ms`, a success clears them) as a
 * cockatiel breaker. It also ignores failures while the policy is not closed: cockatiel reports a late
 * failure of a call that started while closed with the state the call started in, which would re-open a
 * half-open breaker behind the probe's back.
 */
class SlidingWindowBreaker implements IBreaker {
  state: number[] = [];
  circuit?: CircuitBreakerPolicy;
  constructor(private readonly policy: BreakerPolicy) {}
  success(): void {
    this.state = [];
  }
  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen) return true;
    if (this.circuit && this.circuit.state !== CircuitState.Closed) return false;
    const now = Date.now();
    this.state = [...this.state.filter((at) => now - at < this.policy.window_ms), now];
    return this.state.length >= this.policy.failure_threshold;
  }
}

const COCKATIEL_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

/**
 * cockatiel's CircuitBreakerPolicy set up the way this project would have to adopt it. Plain
 * (`consecutive`): its ConsecutiveBreaker (no window; late failures count), cancellations and
 * `RejectedByUpstream` not handled (so they are not failures), refusal while a probe is out (cockatiel
 * would queue the call behind the probe). Full: also the sliding window above, and a cancelled probe
 * undone by rebuilding the policy from the `toJSON()` taken when the probe started (cockatiel has no
 * "release": an unhandled error closes a half-open breaker, a handled one re-opens it).
 */
export function cockatielBreaker(policy: BreakerPolicy, onChange: (state: BreakerState) => void, consecutive = false): Breaker {
  const counter = consecutive ? new ConsecutiveBreaker(policy.failure_threshold) : new SlidingWindowBreaker(policy);
  let openedAt = 0;
  let listeners: { dispose(): void }[] = [];
  const build = (initialState?: unknown) => {
    for (const listener of listeners) listener.dispose();
    const built = cockatielCircuitBreaker(
      handleWhen((error) => !(error instanceof CallerCancelled) && !(error instanceof RejectedByUpstream)),
      { halfOpenAfter: policy.cooldown_ms, breaker: counter, initialState },
    );
    if (counter instanceof SlidingWindowBreaker) counter.circuit = built;
    listeners = [built.onBreak(() => (openedAt = Date.now())), built.onStateChange((state) => onChange(COCKATIEL_STATES[state]))];
    return built;
  };
  let circuit = build();
  const probes = new WeakMap<BreakerPermit, unknown>();
  const settle = (permit: BreakerPermit, outcome: 'success' | 'failure' | 'cancelled') => {
    if (isAdapterPermit(permit)) {
      if (outcome === 'cancelled' && !consecutive && probes.has(permit)) circuit = build(probes.get(permit));
      return permit.settle(outcome);
    }
    // A failure after the first audio (the router's CLOSED_CALL): only a library call can report it.
    if (outcome === 'failure' && circuit.state === CircuitState.Closed)
      void circuit.execute(() => Promise.reject(new Error('stream broke'))).catch(() => undefined);
  };
  return {
    get state() {
      return COCKATIEL_STATES[circuit.state];
    },
    tryAcquire() {
      if (circuit.state === CircuitState.HalfOpen) return undefined;
      const before = circuit.state === CircuitState.Open ? circuit.toJSON() : undefined;
      const permit = startCall(before !== undefined, (work) => circuit.execute(work));
      if (permit && before !== undefined) probes.set(permit, before);
      return permit;
    },
    get acceptsCalls() {
      return circuit.state === CircuitState.Closed || (circuit.state === CircuitState.Open && Date.now() - openedAt >= policy.cooldown_ms);
    },
    retryInMs: () => (circuit.state === CircuitState.Open ? Math.max(0, openedAt + policy.cooldown_ms - Date.now()) : 0),
    recordSuccess: (permit) => settle(permit, 'success'),
    recordFailure: (permit) => settle(permit, 'failure'),
    release: (permit) => settle(permit, 'cancelled'),
  };
}

/**
 * opossum's CircuitBreaker as near our rule as its options go: it opens on an error percentage over a
 * rolling window once `volumeThreshold` calls were made there (not on N failures), and a timer (not
 * the next call) moves it to half-open.
 */
export function opossumBreaker(policy: BreakerPolicy, onChange: (state: BreakerState) => void): Breaker & { shutdown(): void } {
  const circuit = new Opossum((work: () => Promise<unknown>) => work(), {
    resetTimeout: policy.cooldown_ms,
    rollingCountTimeout: policy.window_ms,
    rollingCountBuckets: 10,
    volumeThreshold: policy.failure_threshold,
    errorThresholdPercentage: 50,
    timeout: false,
    errorFilter: (error: Error) => error instanceof CallerCancelled || error instanceof RejectedByUpstream,
  });
  let openedAt = 0;
  circuit.on('open', () => ((openedAt = Date.now()), onChange('open')));
  circuit.on('halfOpen', () => onChange('half_open'));
  circuit.on('close', () => onChange('closed'));
  const settle = (permit: BreakerPermit, outcome: 'success' | 'failure' | 'cancelled') => {
    if (isAdapterPermit(permit)) return permit.settle(outcome);
    if (outcome === 'failure' && circuit.closed) void circuit.fire(() => Promise.reject(new Error('stream broke'))).catch(() => undefined);
  };
  return {
    get state(): BreakerState {
      return circuit.closed ? 'closed' : circuit.halfOpen ? 'half_open' : 'open';
    },
    tryAcquire() {
      return startCall(circuit.halfOpen, (work) => circuit.fire(work));
    },
    get acceptsCalls() {
      return circuit.closed || circuit.pendingClose;
    },
    retryInMs: () => (circuit.opened ? Math.max(0, openedAt + policy.cooldown_ms - Date.now()) : 0),
    recordSuccess: (permit) => settle(permit, 'success'),
    recordFailure: (permit) => settle(permit, 'failure'),
    release: (permit) => settle(permit, 'cancelled'),
    shutdown: () => circuit.shutdown(),
  };
}

/** A breaker of the given variant; `dispose` stops the timers a library keeps (opossum's rolling window). */
export function breakerOf(
  variant: BreakerVariant,
  policy: BreakerPolicy,
  onChange: (state: BreakerState) => void = () => undefined,
): { breaker: Breaker; dispose(): void } {
  switch (variant) {
    case 'ours':
      return { breaker: new CircuitBreaker(policy, Date.now, onChange), dispose: () => undefined };
    case 'cockatiel':
    case 'cockatiel-consecutive':
      return { breaker: cockatielBreaker(policy, onChange, variant === 'cockatiel-consecutive'), dispose: () => undefined };
    case 'opossum': {
      const breaker = opossumBreaker(policy, onChange);
      return { breaker, dispose: () => breaker.shutdown() };
    }
  }
}

/** The library call an outcome was reported on has ended (ours decides synchronously). */
export async function settled(permit: BreakerPermit): Promise<void> {
  if (isAdapterPermit(permit)) await permit.done;
  await new Promise((resolve) => setImmediate(resolve));
}

/** Which variants take turns inside the request: BENCH_BREAKERS=ours,cockatiel (default: ours, cockatiel, opossum). */
export function selectedBreakers(list = process.env.BENCH_BREAKERS): BreakerVariant[] {
  if (!list) return ['ours', 'cockatiel', 'opossum'];
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(BREAKER_VARIANTS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`BENCH_BREAKERS: unknown ${unknown.join(', ')} (known: ${BREAKER_VARIANTS.join(', ')})`);
  if (!names.includes('ours')) names.unshift('ours');
  return names as BreakerVariant[];
}

/**
 * The breaker variants inside a routed call: for its rounds, each variant is every provider's breaker
 * (ProviderStates.breaker hands out that variant's instance), after `warmup` calls each; rounds alternate.
 */
export async function compareBreakersInRequest(
  states: ProviderStates,
  policy: BreakerPolicy,
  call: () => Promise<unknown>,
  options: { rounds: number; perRound: number; warmup: number },
): Promise<Record<string, unknown>> {
  const variants = selectedBreakers();
  const own = states.breaker.bind(states);
  const made = new Map<string, ReturnType<typeof breakerOf>>();
  const instance = (variant: BreakerVariant, provider: string) => {
    const key = `${variant}\u0000${provider}`;
    if (!made.has(key)) made.set(key, breakerOf(variant, policy));
    return made.get(key)!.breaker as unknown as CircuitBreaker;
  };
  const use = (variant: BreakerVariant) => {
    states.breaker = variant === 'ours' ? own : (provider: string) => instance(variant, provider);
  };
  let failures = 0;
  // A billed request answers with its status: anything but 200 counts as a failure too.
  const counted = () =>
    call().then(
      (status) => void (typeof status === 'number' && status !== 200 && failures++),
      () => void failures++,
    );
  try {
    for (const variant of variants) {
      use(variant);
      for (let i = 0; i < options.warmup; i++) await counted();
    }
    const figures = await alternatingRounds(variants, use, counted, options.rounds, options.perRound);
    return { variants, ...figures, failures };
  } finally {
    states.breaker = own;
    for (const { dispose } of made.values()) dispose();
  }
}
