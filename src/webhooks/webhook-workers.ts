import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { redisOptions } from '../redis/redis-options';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookHttpClient } from './webhook-http.client';
import { webhookBackoff, WEBHOOK_QUEUE, WebhookJobData } from './webhook-queue';
import { WebhookRelay } from './webhook-relay';

/**
 * The worker process's delivery worker and relay. The relay runs on a timer of this process rather
 * than a BullMQ scheduler: a scheduler lives in Redis and would vanish with the very queue entries the
 * relay exists to recover. Every worker relays; enqueueing by delivery id makes that harmless.
 */
@Injectable()
export class WebhookWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<WebhookJobData>;
  private relayTimer?: NodeJS.Timeout;
  private relaying?: Promise<unknown>;

  constructor(
    private readonly processor: WebhookDeliveryProcessor,
    private readonly relay: WebhookRelay,
    private readonly http: WebhookHttpClient,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, (job) => this.processor.process(job), {
      connection: redisOptions(this.config.redis.url, 'worker'),
      prefix: this.config.redis.prefix,
      concurrency: this.config.webhooks.concurrency,
      // As for synthesis jobs: a killed worker's attempt is taken over after JOB_LOCK_DURATION_MS.
      lockDuration: this.config.jobs.lockDurationMs,
      stalledInterval: this.config.jobs.lockDurationMs,
      maxStalledCount: 5,
      settings: { backoffStrategy: webhookBackoff },
    });
    this.worker.on('error', (error) => this.logger.pino.warn({ queue: WEBHOOK_QUEUE, err: error.message }, 'queue worker error'));
    this.relayTimer = setInterval(() => this.runRelay(), this.config.jobs.maintenanceIntervalMs);
    this.relayTimer.unref();
    this.runRelay();
  }

  private runRelay(): void {
    if (this.relaying) return; // the previous pass is still going (a slow Redis): never overlap
    this.relaying = this.relay
      .relay()
      .catch((error: Error) => this.logger.pino.warn({ err: error.message }, 'webhook relay failed'))
      .finally(() => (this.relaying = undefined));
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.relayTimer);
    await this.relaying;
    await this.worker?.close();
    this.http.close();
  }
}
