import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from REDIS_URL, by role:
 * - `worker`: BullMQ workers wait for Redis forever (they require maxRetriesPerRequest: null);
 * - `producer`: BullMQ queues in the api fail at once while Redis is down, so creating a job answers 503;
 * - `client`: general commands (rate limits, heartbeats, health) queue briefly across a reconnect,
 *   then fail within about two seconds.
 */
export type RedisRole = 'client' | 'producer' | 'worker';

export function redisOptions(url: string, role: RedisRole): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  const base: RedisOptions = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    db: Number.isInteger(db) ? db : 0,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  switch (role) {
    case 'worker':
      return { ...base, maxRetriesPerRequest: null, enableReadyCheck: true };
    case 'producer':
      return { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    case 'client':
      return { ...base, maxRetriesPerRequest: 1, commandTimeout: 2000 };
  }
}
