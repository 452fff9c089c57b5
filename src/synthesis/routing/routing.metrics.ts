import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics.registry';
import type { BreakerState } from './circuit-breaker';

const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Provider-side Prometheus metrics: attempts, failures, latency, breaker state, local engines' RTF. */
@Injectable()
export class RoutingMetrics {
  private readonly attempts: Counter<'provider' | 'outcome'>;
  private readonly failures: Counter<'provider' | 'code'>;
  private readonly latency: Histogram<'provider'>;
  private readonly firstAudio: Histogram<'provider'>;
  private readonly breaker: Gauge<'provider'>;
  private readonly realTimeFactor: Histogram<'provider'>;
  private readonly audioBytes: Counter<'provider' | 'passed_through'>;

  constructor(metrics: MetricsRegistry) {
    this.attempts = metrics.counter({
      name: 'tts_provider_attempts_total',
      help: 'Calls to providers (each retry counts), by outcome',
      labelNames: ['provider', 'outcome'],
    });
    this.failures = metrics.counter({
      name: 'tts_provider_failures_total',
      help: 'Failed provider calls by error code',
      labelNames: ['provider', 'code'],
    });
    this.latency = metrics.histogram({
      name: 'tts_provider_call_duration_seconds',
      help: 'Duration of one provider call',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.firstAudio = metrics.histogram({
      name: 'tts_provider_first_audio_seconds',
      help: 'Time from the start of a provider call to its first audio bytes',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.breaker = metrics.gauge({
      name: 'tts_provider_breaker_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider'],
    });
    this.realTimeFactor = metrics.histogram({
      name: 'tts_local_engine_rtf',
      help: 'Real-time factor of local engines (synthesis time / audio duration; below 1 is faster than real time)',
      labelNames: ['provider'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
    });
    this.audioBytes = metrics.counter({
      name: 'tts_audio_bytes_total',
      help: "Audio bytes handed to clients and jobs, by provider; passed_through=true when they are the provider's own bytes, untouched",
      labelNames: ['provider', 'passed_through'],
    });
  }

  /** Bytes of one stream, once it has ended (whole, failed or abandoned). */
  audioOut(provider: string, passedThrough: boolean, bytes: number): void {
    if (bytes > 0) this.audioBytes.inc({ provider, passed_through: String(passedThrough) }, bytes);
  }

  /** A call that failed before any audio. */
  failedCall(provider: string, code: string, seconds: number): void {
    this.attempts.inc({ provider, outcome: code });
    this.latency.observe({ provider }, seconds);
    this.failures.inc({ provider, code });
  }

  /** A call whose audio started: it counts as an ok attempt from its first byte. */
  firstAudioAfter(provider: string, seconds: number): void {
    this.attempts.inc({ provider, outcome: 'ok' });
    this.firstAudio.observe({ provider }, seconds);
  }

  /** A stream that ended, whole (`code` undefined) or broken after its first byte. */
  streamEnded(provider: string, seconds: number, code?: string): void {
    this.latency.observe({ provider }, seconds);
    if (code) this.failures.inc({ provider, code });
  }

  breakerState(provider: string, state: BreakerState): void {
    this.breaker.set({ provider }, BREAKER_VALUES[state]);
  }

  rtf(provider: string, synthesisSeconds: number, audioSeconds: number): void {
    if (audioSeconds > 0) this.realTimeFactor.observe({ provider }, synthesisSeconds / audioSeconds);
  }
}
