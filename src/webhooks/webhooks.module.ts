import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { WebhookAddressGuard } from './webhook-address-guard';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WEBHOOK_QUEUE } from './webhook-queue';

const QUEUE = BullModule.registerQueue({ name: WEBHOOK_QUEUE });

/** Endpoints, the delivery log and the queue producer: what the api's Sauti face and the worker share. */
@Module({
  imports: [QUEUE],
  providers: [
    { provide: WebhookAddressGuard, useFactory: (config: AppConfig) => new WebhookAddressGuard(config.webhooks), inject: [AppConfig] },
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookEndpointsService,
    WebhookDeliveriesService,
  ],
  exports: [
    QUEUE,
    WebhookAddressGuard,
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookEndpointsService,
    WebhookDeliveriesService,
  ],
})
export class WebhooksModule {}
