import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from REDIS_URL. A `worker` connection waits for Redis forever (BullMQ workers
 * require maxRetriesPerRequest: null); a `client` connection fails fast so an HTTP request whose
 * Redis is down gets a 503 instead of hanging.
 */
export function redisOptions(url: string, role: 'client' | 'worker'): RedisOptions {
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
  return role === 'worker'
    ? { ...base, maxRetriesPerRequest: null, enableReadyCheck: true }
    : { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}
