import { randomUUID } from 'node:crypto';
import { RedisConnection } from '../../redis/redis-connection';

/** Deletes the claim only if it is still the caller's (a claim that expired may be another process's by now). */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Which process is filling a cache entry, across every api and worker: a Redis key per entry being
 * synthesized, set only if absent (`SET NX PX`), expiring after AUDIO_CACHE_WAIT_MS so a process that
 * dies leaves nothing behind, and deleted by its owner once the entry is stored or abandoned. Another
 * process's request with the same key waits for the entry instead of synthesizing it again. Redis out of
 * reach only costs the coordination: the request synthesizes as if nobody else were.
 */
export class FillClaims {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number,
  ) {}

  /** A token when this process now fills `key`; false when another process does; undefined when Redis cannot say. */
  async claim(key: string): Promise<string | false | undefined> {
    const token = randomUUID();
    try {
      const set = await this.redis.client.set(this.redisKey(key), token, 'PX', Math.max(1, this.ttlMs), 'NX');
      return set === 'OK' ? token : false;
    } catch {
      return undefined;
    }
  }

  /** Whether some process still claims `key` (false when Redis cannot say, so nobody waits on it). */
  async claimed(key: string): Promise<boolean> {
    try {
      return (await this.redis.client.exists(this.redisKey(key))) === 1;
    } catch {
      return false;
    }
  }

  release(key: string, token: string): void {
    this.redis.client.eval(RELEASE_SCRIPT, 1, this.redisKey(key), token).catch(() => undefined); // expires anyway
  }

  private redisKey(key: string): string {
    return this.redis.key('audio-cache', 'filling', key);
  }
}
