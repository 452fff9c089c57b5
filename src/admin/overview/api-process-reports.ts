import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ProviderRegistry } from '../../providers/provider.registry';
import { RedisConnection } from '../../redis/redis-connection';
import type { ProviderStateSnapshot } from '../../synthesis/routing/provider-states';
import { ProviderStates } from '../../synthesis/routing/provider-states';

/** What one api process says about its providers (breakers are per process), like a worker's heartbeat. */
export interface ApiProcessReport {
  process: string;
  pid: number;
  at: string;
  providers: Record<string, ProviderStateSnapshot>;
}

const REPORT_KEY = 'api-process';
const INDEX_KEY = 'api-process-ids';

/**
 * Each api process writes its providers' states to Redis every WORKER_REPORT_INTERVAL_MS (gone after
 * three missed reports), so the dashboard, whichever api serves it, shows every api process's breakers
 * as well as every worker's.
 */
@Injectable()
export class ApiProcessReports implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly processLabel = `api@${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnection,
    private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
    private readonly states: ProviderStates,
  ) {}

  onApplicationBootstrap(): void {
    void this.report();
    this.timer = setInterval(() => void this.report(), this.config.jobs.workerReportIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // Without Redis the report expires by itself; waiting on a dead connection would only delay the shutdown.
    if (this.redis.client.status !== 'ready') return;
    await this.redis.client
      .multi()
      .del(this.redis.key(REPORT_KEY, this.processLabel))
      .srem(this.redis.key(INDEX_KEY), this.processLabel)
      .exec()
      .catch(() => undefined);
  }

  /** This process's own report, read from memory (always current). */
  own(): ApiProcessReport {
    return {
      process: this.processLabel,
      pid: process.pid,
      at: new Date().toISOString(),
      providers: Object.fromEntries(this.providers.all().map((provider) => [provider.id, this.states.snapshot(provider.id)])),
    };
  }

  /** Every live api process's report, this one's from memory; ids whose report expired leave the index. */
  async all(): Promise<ApiProcessReport[]> {
    const ids = (await this.redis.client.smembers(this.redis.key(INDEX_KEY))).filter((id) => id !== this.processLabel);
    const raws = ids.length > 0 ? await this.redis.client.mget(...ids.map((id) => this.redis.key(REPORT_KEY, id))) : [];
    const gone = ids.filter((_, index) => raws[index] === null);
    if (gone.length > 0) await this.redis.client.srem(this.redis.key(INDEX_KEY), ...gone);
    const others = raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as ApiProcessReport);
    return [this.own(), ...others];
  }

  private async report(): Promise<void> {
    const ttlMs = 3 * this.config.jobs.workerReportIntervalMs;
    await this.redis.client
      .multi()
      .set(this.redis.key(REPORT_KEY, this.processLabel), JSON.stringify(this.own()), 'PX', ttlMs)
      .sadd(this.redis.key(INDEX_KEY), this.processLabel)
      .exec()
      .catch(() => undefined);
  }
}
