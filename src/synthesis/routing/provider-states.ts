import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { BreakerState, CircuitBreaker } from './circuit-breaker';
import { RoutingMetrics } from './routing.metrics';

export interface ProviderStateSnapshot {
  breaker: BreakerState;
  /** Milliseconds until an open breaker lets a probe through. */
  breakerRetryInMs?: number;
  lastLatencyMs?: number;
  lastError?: { code: string; message: string; at: string };
  lastSuccessAt?: string;
}

interface Observed {
  lastLatencyMs?: number;
  lastError?: { code: string; message: string; at: string };
  /** Epoch ms; formatted only when someone reads the snapshot (this is on every request's path). */
  lastSuccessAtMs?: number;
}

/** Per-provider breaker and last-seen state, shared by the router, the voice catalogue and health. */
@Injectable()
export class ProviderStates {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly observed = new Map<string, Observed>();
  /** Native rate each provider voice last answered at (the catalogue shows it when it differs from the route's). */
  private readonly nativeRates = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: RoutingMetrics,
  ) {}

  breaker(provider: string): CircuitBreaker {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      breaker = new CircuitBreaker(this.config.providers.breaker, Date.now, (state) => this.metrics.breakerState(provider, state));
      this.breakers.set(provider, breaker);
      this.metrics.breakerState(provider, 'closed');
    }
    return breaker;
  }

  recordSuccess(provider: string, voice: string, latencyMs: number, sampleRate: number): void {
    this.nativeRates.set(`${provider}\u0000${voice}`, sampleRate);
    const state = this.state(provider);
    state.lastLatencyMs = Math.round(latencyMs * 100) / 100;
    state.lastSuccessAtMs = Date.now();
  }

  recordFailure(provider: string, code: string, message: string, latencyMs: number): void {
    const state = this.state(provider);
    state.lastLatencyMs = Math.round(latencyMs * 100) / 100;
    state.lastError = { code, message, at: new Date().toISOString() };
  }

  nativeSampleRate(provider: string, voice: string): number | undefined {
    return this.nativeRates.get(`${provider}\u0000${voice}`);
  }

  snapshot(provider: string): ProviderStateSnapshot {
    const breaker = this.breaker(provider);
    const retryIn = breaker.retryInMs();
    const { lastSuccessAtMs, ...observed } = this.state(provider);
    return {
      // Past its cool-down an open breaker lets the next call probe: say so, rather than "open" until then.
      breaker: breaker.state === 'open' && breaker.acceptsCalls ? 'half_open' : breaker.state,
      ...(retryIn > 0 ? { breakerRetryInMs: retryIn } : {}),
      ...observed,
      ...(lastSuccessAtMs !== undefined ? { lastSuccessAt: new Date(lastSuccessAtMs).toISOString() } : {}),
    };
  }

  private state(provider: string): Observed {
    let state = this.observed.get(provider);
    if (!state) this.observed.set(provider, (state = {}));
    return state;
  }
}
