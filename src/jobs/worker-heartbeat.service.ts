import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ProviderRegistry } from '../providers/provider.registry';
import { RedisConnection } from '../redis/redis-connection';
import { ProviderStates } from '../synthesis/routing/provider-states';
import { HEARTBEAT_KEY, METRICS_KEY, WorkerHeartbeat, WorkerMetrics } from './worker-reports';

/**
 * Each worker process reports to Redis every interval: a heartbeat carrying its providers' states
 * (breakers are per process) and its metrics. The api lists them in /health/ready and /metrics
 * (src/jobs/worker-reports.ts); both keys expire after three missed reports.
 */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnection,
    private readonly logger: RootLogger,
    private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly metrics: MetricsRegistry,
  ) {}

  onApplicationBootstrap(): void {
    void this.report();
    this.timer = setInterval(() => void this.report(), this.config.jobs.workerReportIntervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.client.del(this.redis.key(HEARTBEAT_KEY, this.workerId), this.redis.key(METRICS_KEY, this.workerId)).catch(() => undefined);
  }

  private async report(): Promise<void> {
    const ttlMs = 3 * this.config.jobs.workerReportIntervalMs;
    try {
      const heartbeat: WorkerHeartbeat = {
        workerId: this.workerId,
        pid: process.pid,
        at: new Date().toISOString(),
        providers: Object.fromEntries(this.providers.all().map((provider) => [provider.id, this.states.snapshot(provider.id)])),
      };
      const metrics: WorkerMetrics = { workerId: this.workerId, metrics: await this.metrics.registry.getMetricsAsJSON() };
      await this.redis.client
        .multi()
        .set(this.redis.key(HEARTBEAT_KEY, this.workerId), JSON.stringify(heartbeat), 'PX', ttlMs)
        .set(this.redis.key(METRICS_KEY, this.workerId), JSON.stringify(metrics), 'PX', ttlMs)
        .exec();
    } catch (error) {
      this.logger.pino.warn({ err: (error as Error).message }, 'worker report failed');
    }
  }
}
