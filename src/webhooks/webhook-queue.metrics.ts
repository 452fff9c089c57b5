import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WEBHOOK_QUEUE } from './webhook-queue';

/** Queue depth for the api's /metrics, read at scrape time from BullMQ and from the outbox rows. */
@Injectable()
export class WebhookQueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    const deliveries = this.deliveries;
    this.metrics.gauge({
      name: 'tts_webhook_queue_jobs',
      help: 'BullMQ webhook queue entries by state (delayed = waiting for a retry)',
      labelNames: ['state'],
      async collect() {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed').catch(() => ({}) as Record<string, number>);
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
    this.metrics.gauge({
      name: 'tts_webhook_deliveries_pending',
      help: 'Webhook deliveries not yet delivered nor given up (PostgreSQL, every worker)',
      async collect() {
        const statistics = await deliveries.pendingStatistics().catch(() => undefined);
        if (statistics) this.set(statistics.pending);
      },
    });
    this.metrics.gauge({
      name: 'tts_webhook_most_overdue_seconds',
      help: 'How long the most overdue pending delivery has been due (0 when none is): a stuck queue shows here',
      async collect() {
        const statistics = await deliveries.pendingStatistics().catch(() => undefined);
        if (statistics) this.set(statistics.mostOverdueSeconds);
      },
    });
  }
}
