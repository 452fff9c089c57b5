import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'disabled';

/**
 * What the worker's delivery attempts record. Workers serve no HTTP: these reach the api's /metrics
 * through the worker reports, labelled with the worker.
 */
@Injectable()
export class WebhookDeliveryMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly attempts: Histogram;
  private readonly lag: Histogram;

  constructor(registry: MetricsRegistry) {
    this.outcomes = registry.counter({
      name: 'tts_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry = will be tried again, failed = gave up, disabled = endpoint disabled)',
      labelNames: ['outcome'],
    });
    this.attempts = registry.histogram({
      name: 'tts_webhook_attempt_seconds',
      help: "Duration of one delivery attempt: address check, request and the receiver's answer",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.lag = registry.histogram({
      name: 'tts_webhook_delivery_lag_seconds',
      help: "Time from the event (the job's final state committed) to its successful delivery, retries included",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86_400],
    });
  }

  outcome(outcome: DeliveryOutcome): void {
    this.outcomes.inc({ outcome });
  }

  attemptSeconds(seconds: number): void {
    this.attempts.observe(seconds);
  }

  lagSeconds(seconds: number): void {
    this.lag.observe(Math.max(0, seconds));
  }
}
