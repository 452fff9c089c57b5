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
/** The ids of workers that have reported: a set, so readers never SCAN a keyspace that holds every queue. */
export const WORKER_INDEX_KEY = 'worker-ids';

/** How long readiness reuses one read: it asks once per provider, all within the same probe. */
const MEMO_MS = 1000;

/** The live workers' `<kind>` values; ids whose heartbeat has expired (a worker that died) leave the index. */
async function readAll(redis: RedisConnection, kind: string): Promise<string[]> {
  const ids = await redis.client.smembers(redis.key(WORKER_INDEX_KEY));
  if (ids.length === 0) return [];
  const beats = await redis.client.mget(...ids.map((id) => redis.key(HEARTBEAT_KEY, id)));
  const values = kind === HEARTBEAT_KEY ? beats : await redis.client.mget(...ids.map((id) => redis.key(kind, id)));
  const gone = ids.filter((_, index) => beats[index] === null);
  if (gone.length > 0) await redis.client.srem(redis.key(WORKER_INDEX_KEY), ...gone);
  return values.filter((value, index): value is string => value !== null && beats[index] !== null);
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
      const memo = { at: now, heartbeats };
      this.memo = memo;
      // A failed read is not reused; a newer read that replaced it stays.
      heartbeats.catch(() => {
        if (this.memo === memo) this.memo = undefined;
      });
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
