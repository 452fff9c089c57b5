import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { TtsError } from '../common/tts-error';
import { withTimeout } from '../common/with-timeout';
import { RootLogger } from '../logging/root-logger';
import { DeliveryStatus, WebhookDeliveriesRepository, WebhookDelivery } from './webhook-deliveries.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { isDeliveryId } from './webhook-events';
import { enqueueDelivery, WEBHOOK_QUEUE, WebhookJobData } from './webhook-queue';

export const DELIVERY_PAGE_MAX = 100;
const ENQUEUE_TIMEOUT_MS = 2000;

/** A tenant's delivery log and manual retries (api). */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesRepository,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    private readonly logger: RootLogger,
  ) {}

  async list(
    tenantId: string,
    endpointId: string,
    options: { limit: number; before?: string; status?: DeliveryStatus },
  ): Promise<WebhookDelivery[]> {
    await this.endpoints.get(tenantId, endpointId);
    return this.deliveries.listForEndpoint(endpointId, { ...options, limit: Math.min(options.limit, DELIVERY_PAGE_MAX) });
  }

  /**
   * Sends the delivery again now, with the same `webhook-id` (receivers deduplicate) and the retry
   * schedule started over. A disabled endpoint must be enabled first: retrying would only fail again.
   */
  async retry(tenantId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    const endpoint = await this.endpoints.get(tenantId, endpointId);
    if (!endpoint.enabled) {
      throw new TtsError(
        'invalid_request',
        `Webhook endpoint ${endpointId} is disabled (${endpoint.disabledReason ?? 'by the tenant'}); enable it (PATCH with {"enabled": true}) before retrying.`,
      );
    }
    const delivery = isDeliveryId(deliveryId) ? await this.deliveries.requeue(endpointId, deliveryId) : undefined;
    if (!delivery)
      throw new TtsError('not_found', `Delivery ${JSON.stringify(deliveryId)} of webhook endpoint ${endpointId} was not found.`);
    // A retry waiting in the queue (delayed) is moved to now; otherwise a new entry is added. Either way
    // the row is already due, so if Redis fails here the relay sends it.
    await withTimeout(this.sendNow(deliveryId), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch((error: Error) =>
      this.logger.pino.warn({ deliveryId, err: error.message }, 'webhook retry enqueue failed; the relay will enqueue it'),
    );
    return delivery;
  }

  private async sendNow(deliveryId: string): Promise<void> {
    const queued = await this.queue.getJob(deliveryId);
    if (queued && (await queued.isDelayed())) await queued.promote();
    else if (!queued) await enqueueDelivery(this.queue, deliveryId);
  }
}
