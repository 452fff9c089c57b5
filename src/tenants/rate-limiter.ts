import { Injectable } from '@nestjs/common';
import { TtsError } from '../common/tts-error';
import { RedisConnection } from '../redis/redis-connection';

/** One counter to charge: `limit` requests per window for `bucket` (e.g. `job_creates`). */
export interface RateLimitRule {
  bucket: string;
  limit: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The first rule that refused, when not allowed. */
  refusedBy?: RateLimitRule;
  /** Seconds until the refused request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
  /** Requests left in each bucket after this one, by bucket name (unchanged when refused). */
  remaining: Record<string, number>;
}

/**
 * Sliding-window counter per bucket (Cloudflare's approximation): the previous window's count,
 * weighted by how much of it still overlaps the sliding window, plus the current window's count.
 * Unlike a fixed window it never lets a burst of 2× the limit through across a window boundary.
 * Time comes from Redis (`TIME`), so api instances with skewed clocks still agree. Every rule of a
 * call is checked first and all are charged only if all allow: one round trip, atomic.
 *
 * KEYS[i]: hash {s: window start ms, c: count in it, p: count in the window before}.
 * ARGV[1]: window ms; ARGV[1 + i]: limit of KEYS[i].
 * Returns {allowed 0|1, index of the refusing key (0 if none), wait ms, remaining per key...}.
 */
const SLIDING_WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local start = now - (now % window)
local elapsed = now - start
local counts, previous, remaining = {}, {}, {}
local refused, wait = 0, 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i + 1])
  local v = redis.call('HMGET', KEYS[i], 's', 'c', 'p')
  local s, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
  if s == nil or s < start - window then c = 0; p = 0
  elseif s < start then p = c; c = 0 end
  counts[i], previous[i] = c, p
  local weighted = p * (window - elapsed) / window + c
  remaining[i] = math.max(0, math.floor(limit - weighted - 1))
  if refused == 0 and weighted + 1 > limit then
    refused = i
    if c + 1 > limit then
      wait = (window - elapsed) + math.max(0, math.ceil(window * (1 - (limit - 1) / c)))
    else
      wait = math.ceil(window - elapsed - (limit - 1 - c) * window / p)
    end
    wait = math.max(1, wait)
  end
end
if refused > 0 then
  for i = 1, #KEYS do remaining[i] = math.max(0, math.floor(ARGV[i + 1] - (previous[i] * (window - elapsed) / window + counts[i]))) end
  return {0, refused, wait, unpack(remaining)}
end
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], 's', start, 'c', counts[i] + 1, 'p', previous[i])
  redis.call('PEXPIRE', KEYS[i], window * 2)
end
return {1, 0, 0, unpack(remaining)}
`;

const DEFAULT_WINDOW_SECONDS = 60;
const REDIS_DOWN_RETRY_SECONDS = 5;

type ScriptClient = { slidingWindowConsume(...args: Array<string | number>): Promise<number[]> };

/**
 * Per-subject request limits counted in Redis, so every api instance shares them. Usable by any face:
 * `enforce(apiKeyId, [{bucket: 'job_creates', limit: 120}])` throws `rate_limited` (with
 * retryAfterSeconds) or `service_unavailable` when Redis cannot be asked; `consume` only reports.
 */
@Injectable()
export class RateLimiter {
  constructor(private readonly redis: RedisConnection) {
    if (!(this.redis.client as unknown as Partial<ScriptClient>).slidingWindowConsume) {
      this.redis.client.defineCommand('slidingWindowConsume', { lua: SLIDING_WINDOW_SCRIPT });
    }
  }

  async consume(subject: string, rules: RateLimitRule[], windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<RateLimitDecision> {
    if (rules.length === 0) return { allowed: true, retryAfterSeconds: 0, remaining: {} };
    const keys = rules.map((rule) => this.redis.key('rate', rule.bucket, subject));
    const client = this.redis.client as unknown as ScriptClient;
    let reply: number[];
    try {
      reply = await client.slidingWindowConsume(keys.length, ...keys, windowSeconds * 1000, ...rules.map((rule) => rule.limit));
    } catch (error) {
      throw new TtsError('service_unavailable', 'Rate limits cannot be checked right now; try again shortly.', {
        retryAfterSeconds: REDIS_DOWN_RETRY_SECONDS,
        cause: error,
      });
    }
    const [allowed, refusedIndex, waitMs, ...left] = reply.map(Number);
    const remaining = Object.fromEntries(rules.map((rule, index) => [rule.bucket, left[index]]));
    if (allowed === 1) return { allowed: true, retryAfterSeconds: 0, remaining };
    return { allowed: false, refusedBy: rules[refusedIndex - 1], retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), remaining };
  }

  /** Like `consume`, but a refusal throws `rate_limited` naming the bucket, with Retry-After. */
  async enforce(subject: string, rules: RateLimitRule[], windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<RateLimitDecision> {
    const decision = await this.consume(subject, rules, windowSeconds);
    if (decision.allowed) return decision;
    const rule = decision.refusedBy!;
    throw new TtsError(
      'rate_limited',
      `Too many requests: the limit is ${rule.limit} ${rule.bucket.replace(/_/g, ' ')} per ${windowSeconds} seconds. Retry in ${decision.retryAfterSeconds} s.`,
      {
        retryAfterSeconds: decision.retryAfterSeconds,
        details: { bucket: rule.bucket, limit: rule.limit },
      },
    );
  }
}
