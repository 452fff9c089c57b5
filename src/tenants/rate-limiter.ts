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
 * call is checked first and all are charged only if all allow: one round trip, atomic. A call may
 * ask to count up to `wanted` requests at once (RateLimitLeases); it is allowed if one more request
 * fits, and counts as many of the wanted ones as fit under every limit.
 *
 * KEYS[i]: hash {s: window start ms, c: count in it, p: count in the window before}.
 * ARGV[1]: window ms; ARGV[2]: wanted (≥ 1); ARGV[2 + i]: limit of KEYS[i].
 * Returns {allowed 0|1, index of the refusing key (0 if none), wait ms, requests counted, window
 * start ms, ms left in the window, remaining per key after those counted...}.
 */
const SLIDING_WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local start = now - (now % window)
local elapsed = now - start
local counts, previous, remaining = {}, {}, {}
local refused, wait, granted = 0, 0, wanted
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i + 2])
  local v = redis.call('HMGET', KEYS[i], 's', 'c', 'p')
  local s, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
  if s == nil or s < start - window then c = 0; p = 0
  elseif s < start then p = c; c = 0 end
  counts[i], previous[i] = c, p
  local weighted = p * (window - elapsed) / window + c
  granted = math.min(granted, math.floor(limit - weighted))
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
  for i = 1, #KEYS do remaining[i] = math.max(0, math.floor(ARGV[i + 2] - (previous[i] * (window - elapsed) / window + counts[i]))) end
  return {0, refused, wait, 0, start, window - elapsed, unpack(remaining)}
end
for i = 1, #KEYS do
  remaining[i] = math.max(0, math.floor(ARGV[i + 2] - (previous[i] * (window - elapsed) / window + counts[i]) - granted))
  redis.call('HSET', KEYS[i], 's', start, 'c', counts[i] + granted, 'p', previous[i])
  redis.call('PEXPIRE', KEYS[i], window * 2)
end
return {1, 0, 0, granted, start, window - elapsed, unpack(remaining)}
`;

/**
 * Gives back requests counted ahead but never made (RateLimitLeases): from the window they were
 * counted in, whether that window is still the current one (c) or has just become the previous one (p).
 */
const RETURN_SCRIPT = `
local start, n, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local s = tonumber(v[1])
if s == start then redis.call('HSET', KEYS[1], 'c', math.max(0, (tonumber(v[2]) or 0) - n))
elseif s == start + window then redis.call('HSET', KEYS[1], 'p', math.max(0, (tonumber(v[3]) or 0) - n)) end
return 0
`;

const DEFAULT_WINDOW_SECONDS = 60;
const REDIS_DOWN_RETRY_SECONDS = 5;

type ScriptClient = {
  slidingWindowConsume(...args: Array<string | number>): Promise<number[]>;
  slidingWindowReturn(...args: Array<string | number>): Promise<number>;
};

/** What `take` counted: `granted` requests (this one and those taken ahead), in the window starting at `windowStart`. */
export interface RateLimitGrant {
  granted: number;
  /** Requests left under the limit once all granted ones are made. */
  remaining: number;
  /** Redis's start of the window they were counted in, and the ms left in it. */
  windowStart: number;
  windowLeftMs: number;
}

/**
 * Per-subject request limits counted in Redis, so every api instance shares them. Usable by any face:
 * `enforce(apiKeyId, [{bucket: 'job_creates', limit: 120}])` throws `rate_limited` (with
 * retryAfterSeconds) or `service_unavailable` when Redis cannot be asked; `consume` only reports.
 */
@Injectable()
export class RateLimiter {
  constructor(private readonly redis: RedisConnection) {
    const client = this.redis.client as unknown as Partial<ScriptClient>;
    if (!client.slidingWindowConsume) this.redis.client.defineCommand('slidingWindowConsume', { lua: SLIDING_WINDOW_SCRIPT });
    if (!client.slidingWindowReturn) this.redis.client.defineCommand('slidingWindowReturn', { lua: RETURN_SCRIPT, numberOfKeys: 1 });
  }

  async consume(subject: string, rules: RateLimitRule[], windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<RateLimitDecision> {
    return (await this.count(subject, rules, windowSeconds, 1)).decision;
  }

  /** Like `consume`, but a refusal throws `rate_limited` naming the bucket, with Retry-After. */
  async enforce(subject: string, rules: RateLimitRule[], windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<RateLimitDecision> {
    const { decision } = await this.count(subject, rules, windowSeconds, 1);
    if (decision.allowed) return decision;
    throw this.refusal(decision, windowSeconds);
  }

  /**
   * Counts this request and up to `wanted - 1` more taken ahead, as many as fit under the limit (at
   * least this one); a refusal throws like `enforce`. The caller owes a `giveBack` for those it does not make.
   */
  async take(subject: string, rule: RateLimitRule, wanted: number, windowSeconds = DEFAULT_WINDOW_SECONDS): Promise<RateLimitGrant> {
    const { decision, grant } = await this.count(subject, [rule], windowSeconds, wanted);
    if (!decision.allowed) throw this.refusal(decision, windowSeconds);
    return grant;
  }

  /** Uncounts `unused` requests that `take` counted ahead in the window starting at `windowStart`. */
  async giveBack(
    subject: string,
    rule: RateLimitRule,
    unused: number,
    windowStart: number,
    windowSeconds = DEFAULT_WINDOW_SECONDS,
  ): Promise<void> {
    if (unused <= 0) return;
    const client = this.redis.client as unknown as ScriptClient;
    await client.slidingWindowReturn(this.redis.key('rate', rule.bucket, subject), windowStart, unused, windowSeconds * 1000);
  }

  private async count(
    subject: string,
    rules: RateLimitRule[],
    windowSeconds: number,
    wanted: number,
  ): Promise<{ decision: RateLimitDecision; grant: RateLimitGrant }> {
    if (rules.length === 0) {
      const grant = { granted: wanted, remaining: Infinity, windowStart: 0, windowLeftMs: windowSeconds * 1000 };
      return { decision: { allowed: true, retryAfterSeconds: 0, remaining: {} }, grant };
    }
    const keys = rules.map((rule) => this.redis.key('rate', rule.bucket, subject));
    const client = this.redis.client as unknown as ScriptClient;
    let reply: number[];
    try {
      reply = await client.slidingWindowConsume(keys.length, ...keys, windowSeconds * 1000, wanted, ...rules.map((rule) => rule.limit));
    } catch (error) {
      throw new TtsError('service_unavailable', 'Rate limits cannot be checked right now; try again shortly.', {
        retryAfterSeconds: REDIS_DOWN_RETRY_SECONDS,
        cause: error,
      });
    }
    const [allowed, refusedIndex, waitMs, granted, windowStart, windowLeftMs, ...left] = reply.map(Number);
    const remaining = Object.fromEntries(rules.map((rule, index) => [rule.bucket, left[index]]));
    const grant = { granted, remaining: left[0], windowStart, windowLeftMs };
    if (allowed === 1) return { decision: { allowed: true, retryAfterSeconds: 0, remaining }, grant };
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return { decision: { allowed: false, refusedBy: rules[refusedIndex - 1], retryAfterSeconds, remaining }, grant };
  }

  private refusal(decision: RateLimitDecision, windowSeconds: number): TtsError {
    const rule = decision.refusedBy!;
    return new TtsError(
      'rate_limited',
      `Too many requests: the limit is ${rule.limit} ${rule.bucket.replace(/_/g, ' ')} per ${windowSeconds} seconds. Retry in ${decision.retryAfterSeconds} s.`,
      {
        retryAfterSeconds: decision.retryAfterSeconds,
        details: { bucket: rule.bucket, limit: rule.limit },
      },
    );
  }
}
