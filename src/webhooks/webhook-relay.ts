import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { enqueueDelivery, WEBHOOK_QUEUE, WebhookJobData } from './webhook-queue';

const RELAY_BATCH = 500;

/**
 * The webhook outbox relay: pending deliveries overdue by JOB_RELAY_MIN_AGE_MS whose queue entry is
 * gone (a crash between commit and enqueue, Redis restarted empty, a delayed retry lost with it) are
 * enqueued again. Entries still queued, delayed or in flight are left alone.
 */
@Injectable()
export class WebhookRelay {
  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  async relay(): Promise<number> {
    const overdue = await this.deliveries.overdue(this.config.jobs.relayMinAgeMs, RELAY_BATCH);
    let relayed = 0;
    for (const id of overdue) {
      if (await this.queue.getJob(id)) continue;
      await enqueueDelivery(this.queue, id);
      relayed++;
    }
    if (relayed > 0) this.logger.pino.info({ relayed }, 'relayed webhook deliveries missing from the queue');
    return relayed;
  }
}
