import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ProviderRegistry } from '../providers/provider.registry';
import { RedisConnection } from '../redis/redis-connection';
import { ProviderStates } from '../synthesis/routing/provider-states';
import { HEARTBEAT_KEY, METRICS_KEY, WORKER_INDEX_KEY, WorkerHeartbeat, WorkerMetrics } from './worker-reports';

/**
 * Each worker process reports to Redis every interval: a heartbeat carrying its providers' states
 * (breakers are per process) and its metrics. The api lists them in /health/ready and /metrics
 * (src/jobs/worker-reports.ts); both keys expire after three missed reports.
 */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly logger: RootLogger,
    private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly metrics: MetricsRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** The last report finishes before the keys go, so a stopped worker never reappears. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
    await this.redis.client
      .multi()
      .del(this.redis.key(HEARTBEAT_KEY, this.workerId), this.redis.key(METRICS_KEY, this.workerId))
      .srem(this.redis.key(WORKER_INDEX_KEY), this.workerId)
      .exec()
      .catch(() => undefined);
  }

  /** One report at a time: the next is planned when this one has ended, however long it took. */
  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.report().finally(() => {
        this.running = undefined;
        if (!this.stopping) this.schedule(this.config.jobs.workerReportIntervalMs);
      });
    }, delayMs);
  }

  private async report(): Promise<void> {
    const ttlMs = 3 * this.config.jobs.workerReportIntervalMs;
    try {
      // The heartbeat first and on its own: a slow metrics read must not make a live worker look gone.
      const heartbeat: WorkerHeartbeat = {
        workerId: this.workerId,
        pid: process.pid,
        at: new Date().toISOString(),
        providers: Object.fromEntries(this.providers.all().map((provider) => [provider.id, this.states.snapshot(provider.id)])),
      };
      await this.redis.client
        .multi()
        .set(this.redis.key(HEARTBEAT_KEY, this.workerId), JSON.stringify(heartbeat), 'PX', ttlMs)
        .sadd(this.redis.key(WORKER_INDEX_KEY), this.workerId)
        .exec();
      const metrics: WorkerMetrics = { workerId: this.workerId, metrics: await this.metrics.registry.getMetricsAsJSON() };
      await this.redis.client.set(this.redis.key(METRICS_KEY, this.workerId), JSON.stringify(metrics), 'PX', ttlMs);
    } catch (error) {
      this.logger.pino.warn({ err: (error as Error).message }, 'worker report failed');
    }
  }
}
