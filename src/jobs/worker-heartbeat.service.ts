import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection';
import { RootLogger } from '../logging/root-logger';

export const HEARTBEAT_INTERVAL_MS = 5000;
const HEARTBEAT_TTL_SECONDS = 15;

/** Each worker process announces itself in Redis; the api's readiness lists the live ones. */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnection,
    private readonly logger: RootLogger,
  ) {}

  onApplicationBootstrap(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.client.del(this.redis.key('workers', this.workerId)).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const payload = JSON.stringify({ workerId: this.workerId, pid: process.pid, at: new Date().toISOString() });
    await this.redis.client
      .set(this.redis.key('workers', this.workerId), payload, 'EX', HEARTBEAT_TTL_SECONDS)
      .catch((error: Error) => this.logger.pino.warn({ err: error.message }, 'worker heartbeat failed'));
  }
}

export interface WorkerHeartbeat {
  workerId: string;
  pid: number;
  at: string;
}

/**
 * The workers that reported within the heartbeat TTL. SCAN, not KEYS: readiness probes call this
 * every few seconds against a Redis that also holds every queue.
 */
export async function readWorkerHeartbeats(redis: RedisConnection): Promise<WorkerHeartbeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.client.scan(cursor, 'MATCH', redis.key('workers', '*'), 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const beats = keys.length ? await redis.client.mget(...keys) : [];
  return beats.filter((beat): beat is string => beat !== null).map((beat) => JSON.parse(beat) as WorkerHeartbeat);
}
