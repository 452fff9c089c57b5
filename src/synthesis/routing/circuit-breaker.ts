import type { BreakerPolicy } from '../../config/providers.config';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * One provider's circuit breaker. Closed: calls pass and failures are counted in a sliding window;
 * `failure_threshold` failures within `window_ms` open it. Open: calls are refused at once until
 * `cooldown_ms` has passed. Half-open: exactly one probe is let through; its success closes the breaker,
 * its failure opens it for another cool-down. Written here because opossum needs Node 22.
 */
export class CircuitBreaker {
  private failures: number[] = [];
  private openedAt = 0;
  private probeInFlight = false;
  private current: BreakerState = 'closed';

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go out now. In half-open, true for the single probe only: the caller must report its outcome. */
  tryAcquire(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.policy.cooldown_ms) return false;
      this.transition('half_open');
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when it would now). */
  retryInMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.policy.cooldown_ms - this.now()) : 0;
  }

  recordSuccess(): void {
    this.probeInFlight = false;
    this.failures = [];
    if (this.current !== 'closed') this.transition('closed');
  }

  recordFailure(): void {
    const now = this.now();
    if (this.current === 'half_open') {
      this.probeInFlight = false;
      return this.open(now);
    }
    this.failures = this.failures.filter((at) => now - at < this.policy.window_ms);
    this.failures.push(now);
    if (this.current === 'closed' && this.failures.length >= this.policy.failure_threshold) this.open(now);
  }

  /** A probe that ended without telling anything about the provider (e.g. the caller cancelled). */
  releaseProbe(): void {
    this.probeInFlight = false;
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
