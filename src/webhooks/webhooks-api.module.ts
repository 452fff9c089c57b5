import { Module } from '@nestjs/common';
import { WebhookQueueMetrics } from './webhook-queue.metrics';
import { WebhooksModule } from './webhooks.module';

/** The api's view of deliveries: queue depth and pending deliveries at scrape time. */
@Module({
  imports: [WebhooksModule],
  providers: [WebhookQueueMetrics],
})
export class WebhooksApiModule {}
