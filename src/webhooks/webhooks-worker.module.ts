import { Module } from '@nestjs/common';
import { FishAudioLinkSigner } from '../faces/fish/fish-audio-link.signer';
import { JobsModule } from '../jobs/jobs.module';
import { WebhookDeliveryMetrics } from './webhook-delivery.metrics';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookHttpClient } from './webhook-http.client';
import { WebhookOutbox } from './webhook-outbox';
import { WebhookPayloadBuilder } from './webhook-payload';
import { WebhookRelay } from './webhook-relay';
import { WebhookWorkers } from './webhook-workers';
import { WebhooksModule } from './webhooks.module';

/**
 * The worker process's side of webhooks: the outbox the job transactions write to, the delivery
 * worker and the relay. Fish audio links are signed here with the same configuration as in the api.
 */
@Module({
  imports: [WebhooksModule, JobsModule],
  providers: [
    FishAudioLinkSigner,
    WebhookPayloadBuilder,
    { provide: WebhookHttpClient, useFactory: () => new WebhookHttpClient() },
    WebhookDeliveryMetrics,
    WebhookDeliveryProcessor,
    WebhookOutbox,
    WebhookRelay,
    WebhookWorkers,
  ],
  exports: [WebhookOutbox],
})
export class WebhooksWorkerModule {}
