import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { JobService } from '../jobs/job.service';
import { RootLogger } from '../logging/root-logger';
import { WebhookAddressGuard, WebhookAddressRefused } from './webhook-address-guard';
import { ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveryMetrics } from './webhook-delivery.metrics';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookHttpClient, WebhookResponse, WebhookTransportError } from './webhook-http.client';
import { WebhookPayload, WebhookPayloadBuilder } from './webhook-payload';
import { lowBalanceCrossingOf } from './webhook-events';
import { UsageRepository } from '../usage/usage.repository';
import { WebhookJobData, WebhookRetryLater } from './webhook-queue';
import { signatureHeader } from './webhook-signature';

const USER_AGENT = 'sauti-tts-webhooks/1';

/** How an attempt ended, from the receiver's point of view. */
type AttemptResult = { kind: 'answered'; response: WebhookResponse } | { kind: 'unreachable'; error: string };

function describe(result: AttemptResult): string {
  if (result.kind === 'unreachable') return result.error;
  const { status, snippet, location } = result.response;
  if (status >= 300 && status < 400) return `answered ${status}; redirects are not followed (Location: ${location ?? 'none'})`;
  const body = snippet.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `answered ${status}${body ? `: ${body}` : ''}`;
}

/** `259200000` → `3 days`, `7200000` → `2 h`, `1000` → `1 s`: for reasons people read. */
function spoken(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${seconds} s`;
}

/**
 * One delivery attempt (worker process): claim the row, sign the payload, POST it to the checked
 * address, and record the outcome. 2xx delivers; 410 disables the endpoint; anything else (another
 * status, a refusal, a timeout, an address the rules forbid) is tried again on the schedule until it
 * runs out or the endpoint has been failing for WEBHOOK_DISABLE_AFTER_SECONDS.
 */
@Injectable()
export class WebhookDeliveryProcessor {
  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly jobs: JobService,
    private readonly usage: UsageRepository,
    private readonly payloads: WebhookPayloadBuilder,
    @Inject(WebhookAddressGuard) private readonly guard: WebhookAddressGuard,
    private readonly http: WebhookHttpClient,
    private readonly metrics: WebhookDeliveryMetrics,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  async process(queued: Job<WebhookJobData>): Promise<void> {
    const delivery = await this.deliveries.claim(queued.data.deliveryId);
    if (!delivery) return; // delivered, failed or deleted meanwhile: a duplicate queue entry
    if (!delivery.endpoint.enabled) {
      await this.deliveries.markFailed(
        delivery.id,
        null,
        `not sent: the endpoint is disabled (${delivery.endpoint.disabledReason ?? 'by the tenant'})`,
      );
      this.metrics.outcome('failed');
      return;
    }
    const payload = await this.payloadOf(delivery);
    if (!payload) {
      await this.deliveries.markFailed(delivery.id, null, `not sent: ${delivery.jobId} no longer exists`);
      this.metrics.outcome('failed');
      return;
    }
    const body = JSON.stringify(payload);
    const started = process.hrtime.bigint();
    const result = await this.attempt(delivery, body);
    this.metrics.attemptSeconds(Number(process.hrtime.bigint() - started) / 1e9);
    if (result.kind === 'answered' && result.response.status >= 200 && result.response.status < 300) {
      await this.delivered(delivery, result.response.status);
      return;
    }
    await this.failed(delivery, result);
  }

  /** The payload as the subject is now: a job, or an account's low-balance crossing. */
  private async payloadOf(delivery: ClaimedDelivery): Promise<WebhookPayload | undefined> {
    const crossingId = lowBalanceCrossingOf(delivery.jobId);
    if (crossingId !== undefined) {
      const crossing = await this.usage.lowBalanceCrossing(crossingId);
      return crossing && this.payloads.buildLowBalance(crossing);
    }
    const job = await this.jobs.findById(delivery.jobId);
    return job ? this.payloads.build(delivery.eventType, delivery.createdAt, job) : undefined;
  }

  private async attempt(delivery: ClaimedDelivery, body: string): Promise<AttemptResult> {
    try {
      const url = this.guard.parseUrl(delivery.endpoint.url);
      const target = await this.guard.resolve(url);
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(delivery.endpoint.secrets, delivery.id, timestamp, body),
      };
      return { kind: 'answered', response: await this.http.post(url, target, headers, body, this.config.webhooks.timeoutMs) };
    } catch (error) {
      if (error instanceof WebhookAddressRefused) return { kind: 'unreachable', error: `refused: ${error.message}` };
      if (error instanceof WebhookTransportError) return { kind: 'unreachable', error: error.message };
      throw error;
    }
  }

  private async delivered(delivery: ClaimedDelivery, status: number): Promise<void> {
    const deliveredAt = await this.deliveries.markDelivered(delivery.id, status);
    if (delivery.endpoint.failing) await this.endpoints.recordSuccess(delivery.endpointId);
    this.metrics.outcome('delivered');
    this.metrics.lagSeconds((deliveredAt.getTime() - delivery.createdAt.getTime()) / 1000);
  }

  private async failed(delivery: ClaimedDelivery, result: AttemptResult): Promise<void> {
    const status = result.kind === 'answered' ? result.response.status : null;
    const error = describe(result);
    if (status === 410) {
      await this.endpoints.disable(delivery.endpointId, `the endpoint answered 410 Gone on ${new Date().toISOString()}`);
      await this.deliveries.markFailed(delivery.id, status, `${error}; the endpoint is disabled`);
      this.logger.pino.warn({ endpointId: delivery.endpointId, deliveryId: delivery.id }, 'webhook endpoint answered 410; disabled');
      this.metrics.outcome('disabled');
      return;
    }
    const { disabled } = await this.endpoints.recordFailure(
      delivery.endpointId,
      this.config.webhooks.disableAfterMs,
      `every delivery failed for ${spoken(this.config.webhooks.disableAfterMs)}; last: ${error}`.slice(0, 500),
    );
    const delays = this.config.webhooks.retryDelaysMs;
    const attemptInSchedule = delivery.attempts - delivery.scheduleBase;
    if (disabled || attemptInSchedule > delays.length) {
      const why = disabled ? 'the endpoint is disabled after failing for too long' : `gave up after ${attemptInSchedule} attempts`;
      await this.deliveries.markFailed(delivery.id, status, `${error}; ${why}`);
      this.metrics.outcome(disabled ? 'disabled' : 'failed');
      return;
    }
    const delayMs = delays[attemptInSchedule - 1];
    await this.deliveries.markRetry(delivery.id, status, error, delayMs);
    this.metrics.outcome('retry');
    throw new WebhookRetryLater(delayMs, `delivery ${delivery.id}: ${error}`);
  }
}
