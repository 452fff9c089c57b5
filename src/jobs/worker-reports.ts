import { Global, Injectable, Module } from '@nestjs/common';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { RedisConnection } from '../redis/redis-connection';
import type { ProviderStateSnapshot } from '../synthesis/routing/provider-states';

/** What a worker process last said about itself (`workers:<id>` in Redis, renewed every report interval). */
export interface WorkerHeartbeat {
  workerId: string;
  pid: number;
  at: string;
  /** The worker's own view of each provider: its breaker, last error and latency (breakers are per process). */
  providers?: Record<string, ProviderStateSnapshot>;
}

/** A worker's Prometheus registry as JSON (`worker-metrics:<id>`), written with each heartbeat. */
export interface WorkerMetrics {
  workerId: string;
  metrics: MetricObjectWithValues<MetricValue<string>>[];
}

export const HEARTBEAT_KEY = 'workers';
export const METRICS_KEY = 'worker-metrics';

/** How long readiness reuses one read: it asks once per provider, all within the same probe. */
const MEMO_MS = 1000;

/** Every value under `<prefix>:<kind>:*`. SCAN, not KEYS: this Redis also holds every queue. */
async function readAll(redis: RedisConnection, kind: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.client.scan(cursor, 'MATCH', redis.key(kind, '*'), 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const values = keys.length ? await redis.client.mget(...keys) : [];
  return values.filter((value): value is string => value !== null);
}

/** The workers that reported within their heartbeat's lifetime. */
export async function readWorkerHeartbeats(redis: RedisConnection): Promise<WorkerHeartbeat[]> {
  return (await readAll(redis, HEARTBEAT_KEY)).map((beat) => JSON.parse(beat) as WorkerHeartbeat);
}

/**
 * What the live worker processes report, for the api: which workers are alive, how they see each
 * provider (for /health/ready) and their metrics (for /metrics). The worker has no HTTP of its own.
 */
@Injectable()
export class WorkerReports {
  private memo?: { at: number; heartbeats: Promise<WorkerHeartbeat[]> };

  constructor(private readonly redis: RedisConnection) {}

  heartbeats(): Promise<WorkerHeartbeat[]> {
    const now = Date.now();
    if (!this.memo || now - this.memo.at > MEMO_MS) {
      const heartbeats = readWorkerHeartbeats(this.redis);
      this.memo = { at: now, heartbeats };
      heartbeats.catch(() => (this.memo = undefined));
    }
    return this.memo.heartbeats;
  }

  /** Each live worker's view of `provider`, by worker id. */
  async providerStates(provider: string): Promise<Record<string, ProviderStateSnapshot>> {
    const views: Record<string, ProviderStateSnapshot> = {};
    for (const beat of await this.heartbeats()) {
      const state = beat.providers?.[provider];
      if (state) views[beat.workerId] = state;
    }
    return views;
  }

  async metrics(): Promise<WorkerMetrics[]> {
    return (await readAll(this.redis, METRICS_KEY)).map((snapshot) => JSON.parse(snapshot) as WorkerMetrics);
  }
}

/** Global, so routing's health checks and the metrics endpoint can ask without importing the jobs modules. */
@Global()
@Module({ providers: [WorkerReports], exports: [WorkerReports] })
export class WorkerReportsModule {}
