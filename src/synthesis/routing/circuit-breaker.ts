import type { BreakerPolicy } from '../../config/providers.config';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Leave to make one call, returned by `tryAcquire`; its outcome is reported with it. */
export interface BreakerPermit {
  /** The single call let through after the cool-down: its outcome alone closes or re-opens the breaker. */
  readonly probe: boolean;
}

export const CLOSED_CALL: BreakerPermit = Object.freeze({ probe: false });

/**
 * One provider's circuit breaker. Closed: calls pass and failures are counted in a sliding window;
 * `failure_threshold` failures within `window_ms` open it. Open: calls are refused at once until
 * `cooldown_ms` has passed. Half-open: exactly one probe is let through; its success closes the breaker,
 * its failure opens it for another cool-down. Outcomes of calls that started while the breaker was
 * closed and end after it opened say nothing new and are ignored, so only the probe decides; a probe
 * whose caller left is released, not judged. Kept rather than cockatiel or opossum (docs/libraries.md):
 * opossum has no way to tell the probe from a late call, and cockatiel keeps these rules only with
 * workarounds that lean on its internals; `npm run bench -- routing` runs the rules against all three.
 */
export class CircuitBreaker {
  private failures: number[] = [];
  private openedAt = 0;
  private probe: BreakerPermit | undefined;
  private current: BreakerState = 'closed';

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** A permit when a call may go out now; in half-open, only for the single probe. Report its outcome with it. */
  tryAcquire(): BreakerPermit | undefined {
    if (this.current === 'closed') return CLOSED_CALL;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.policy.cooldown_ms) return undefined;
      this.transition('half_open');
    }
    if (this.probe) return undefined;
    this.probe = { probe: true };
    return this.probe;
  }

  /** Whether `tryAcquire` would let a call through now (without taking the probe). */
  get acceptsCalls(): boolean {
    if (this.current === 'closed') return true;
    return this.probe === undefined && (this.current === 'half_open' || this.now() - this.openedAt >= this.policy.cooldown_ms);
  }

  /** Milliseconds until an open breaker lets a probe through (0 when it would now). */
  retryInMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.policy.cooldown_ms - this.now()) : 0;
  }

  recordSuccess(permit: BreakerPermit): void {
    if (permit === this.probe) {
      this.probe = undefined;
      this.failures = [];
      this.transition('closed');
    } else if (this.current === 'closed') {
      this.failures = [];
    }
  }

  recordFailure(permit: BreakerPermit): void {
    const now = this.now();
    if (permit === this.probe) {
      this.probe = undefined;
      return this.open(now);
    }
    if (this.current !== 'closed') return;
    this.failures = this.failures.filter((at) => now - at < this.policy.window_ms);
    this.failures.push(now);
    if (this.failures.length >= this.policy.failure_threshold) this.open(now);
  }

  /** A call that ended without telling anything about the provider (e.g. the caller cancelled). */
  release(permit: BreakerPermit): void {
    if (permit === this.probe) this.probe = undefined;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.failures = [];
    this.transition('open');
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.onChange(state);
  }
}
