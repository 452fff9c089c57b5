import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { resolvePoolSize } from '../providers/vits/inference.pool';
import { redisOptions } from '../redis/redis-options';
import type { SynthesisJobData } from './job-queue';
import { SYNTHESIS_QUEUE } from './queue-names';
import { SynthesisJobProcessor } from './synthesis-job.processor';

/**
 * The worker process's BullMQ worker, built here rather than with decorators because its options
 * (concurrency, lock duration) come from validated configuration. Synthesis concurrency follows the
 * inference pool size: more would only queue inside the pool while holding job locks.
 * (Maintenance is not a queue: see JobMaintenanceScheduler.)
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<SynthesisJobData>;

  constructor(
    private readonly processor: SynthesisJobProcessor,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  /** Resolves once the worker is connected: "worker started" means it takes jobs (with Redis down, start-up waits for it). */
  async onApplicationBootstrap(): Promise<void> {
    const { lockDurationMs } = this.config.jobs;
    const worker = new Worker<SynthesisJobData>(SYNTHESIS_QUEUE, (job, token) => this.processor.process(job, token), {
      connection: redisOptions(this.config.redis.url, 'worker'),
      prefix: this.config.redis.prefix,
      concurrency: resolvePoolSize(this.config.inference.poolSize),
      lockDuration: lockDurationMs,
      stalledInterval: lockDurationMs,
      maxStalledCount: 2,
    });
    worker.on('error', (error) => this.logger.pino.warn({ queue: worker.name, err: error.message }, 'queue worker error'));
    this.worker = worker;
    await worker.waitUntilReady();
  }

  /** Stops taking jobs and lets active ones finish (bounded by the process's shutdown grace). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
