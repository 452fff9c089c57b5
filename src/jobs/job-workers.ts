import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { resolvePoolSize } from '../providers/vits/inference.pool';
import { redisOptions } from '../redis/redis-options';
import { JobMaintenance } from './job-maintenance';
import type { SynthesisJobData } from './job-queue';
import { MAINTENANCE_QUEUE, SYNTHESIS_QUEUE } from './queue-names';
import { SynthesisJobProcessor } from './synthesis-job.processor';

const MAINTENANCE_SCHEDULER = 'job-maintenance';

/**
 * The worker process's BullMQ workers, built here rather than with decorators because their options
 * (concurrency, lock duration) come from validated configuration. Synthesis concurrency follows the
 * inference pool size: more would only queue inside the pool while holding job locks.
 */
@Injectable()
export class JobWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private workers: Worker[] = [];

  constructor(
    private readonly processor: SynthesisJobProcessor,
    private readonly maintenance: JobMaintenance,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly maintenanceQueue: Queue,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const connection = redisOptions(this.config.redis.url, 'worker');
    const prefix = this.config.redis.prefix;
    const { lockDurationMs, maintenanceIntervalMs } = this.config.jobs;
    const synthesis = new Worker<SynthesisJobData>(SYNTHESIS_QUEUE, (job) => this.processor.process(job), {
      connection,
      prefix,
      concurrency: resolvePoolSize(this.config.inference.poolSize),
      lockDuration: lockDurationMs,
      stalledInterval: lockDurationMs,
      maxStalledCount: 2,
    });
    const housekeeping = new Worker(MAINTENANCE_QUEUE, () => this.runMaintenance(), { connection, prefix, concurrency: 1 });
    this.workers = [synthesis, housekeeping];
    for (const worker of this.workers)
      worker.on('error', (error) => this.logger.pino.warn({ queue: worker.name, err: error.message }, 'queue worker error'));
    // A job scheduler is one entry per id in Redis: however many workers upsert it, it fires once per interval.
    await this.maintenanceQueue.upsertJobScheduler(
      MAINTENANCE_SCHEDULER,
      { every: maintenanceIntervalMs },
      { name: 'maintenance', opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
    void this.runMaintenance().catch((error: Error) => this.logger.pino.warn({ err: error.message }, 'start-up maintenance failed'));
  }

  private async runMaintenance(): Promise<void> {
    const swept = await this.maintenance.sweep();
    const relayed = await this.maintenance.relay();
    if (swept.expired || swept.stalled || relayed) this.logger.pino.info({ ...swept, relayed }, 'job maintenance');
  }

  /** Stops taking jobs and lets active ones finish (bounded by the process's shutdown grace). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
