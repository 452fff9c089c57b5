/**
 * The per-key limiter with each library the project considered (docs/libraries.md), behind the same
 * `consume(subject, rules, windowSeconds)` that KeyRateLimits calls, so the routing bench can put each
 * one in the billed request and compare them side by side in one process. Bench-only: the api runs
 * `RateLimiter` (src/tenants/rate-limiter.ts).
 */
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TtsError } from '../src/common/tts-error';
import type { RedisConnection } from '../src/redis/redis-connection';
import type { RateLimitLeases } from '../src/tenants/rate-limit-leases';
import { RateLimitDecision, RateLimiter, RateLimitRule } from '../src/tenants/rate-limiter';

export type Consume = (subject: string, rules: RateLimitRule[], windowSeconds?: number) => Promise<RateLimitDecision>;

export const LIMITER_VARIANTS = ['ours', 'rate-limiter-flexible', 'throttler-storage-redis'] as const;
export type LimiterVariant = (typeof LIMITER_VARIANTS)[number];
/** Our script behind RateLimitLeases, as the api runs it (compared inside the billed request only). */
const LEASED = 'ours, leased' as const;

const unavailable = (cause: unknown) =>
  new TtsError('service_unavailable', 'Rate limits cannot be checked right now; try again shortly.', { retryAfterSeconds: 5, cause });

/** rate-limiter-flexible's RateLimiterRedis: one atomic script per call, a fixed window from the key's first request. */
function rateLimiterFlexible(redis: RedisConnection): Consume {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiterFor = (rule: RateLimitRule, windowSeconds: number) => {
    const id = `${rule.bucket}:${rule.limit}:${windowSeconds}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: redis.key('rate-rlf', rule.bucket, String(rule.limit)),
        points: rule.limit,
        duration: windowSeconds,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  };
  return async (subject, rules, windowSeconds = 60) => {
    const [rule] = rules; // KeyRateLimits charges one rule per call
    try {
      const result = await limiterFor(rule, windowSeconds).consume(subject, 1);
      return { allowed: true, retryAfterSeconds: 0, remaining: { [rule.bucket]: result.remainingPoints } };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw unavailable(error);
      return {
        allowed: false,
        refusedBy: rule,
        retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
        remaining: { [rule.bucket]: 0 },
      };
    }
  };
}

/** @nestjs/throttler's Redis storage (@nest-lab/throttler-storage-redis) called as ThrottlerGuard calls it. */
function throttlerStorage(redis: RedisConnection): Consume {
  const storage = new ThrottlerStorageRedisService(redis.client);
  return async (subject, rules, windowSeconds = 60) => {
    const [rule] = rules;
    const windowMs = windowSeconds * 1000;
    let record: Awaited<ReturnType<ThrottlerStorageRedisService['increment']>>;
    try {
      record = await storage.increment(redis.key('rate-throttler', subject), windowMs, rule.limit, windowMs, rule.bucket);
    } catch (error) {
      throw unavailable(error);
    }
    if (!record.isBlocked) return { allowed: true, retryAfterSeconds: 0, remaining: { [rule.bucket]: rule.limit - record.totalHits } };
    return { allowed: false, refusedBy: rule, retryAfterSeconds: Math.max(1, record.timeToBlockExpire), remaining: { [rule.bucket]: 0 } };
  };
}

export function limiterVariants(limiter: RateLimiter, redis: RedisConnection): Record<LimiterVariant, Consume> {
  return {
    ours: limiter.consume.bind(limiter),
    'rate-limiter-flexible': rateLimiterFlexible(redis),
    'throttler-storage-redis': throttlerStorage(redis),
  };
}

/**
 * The burst a client that never exceeds the limit within one window can land across a window boundary:
 * a window of `windowSeconds`, a limit of `limit`; one request opens the window (aligned to our
 * limiter's window start), then two bursts of `limit - 1` requests, 150 ms before and 50 ms after the
 * boundary. A sliding window admits about `limit - 1` of them in that 200 ms; a fixed window about twice
 * as many.
 */
export async function boundaryBurst(consume: Consume, redis: RedisConnection, limit = 20, windowSeconds = 2): Promise<number> {
  const windowMs = windowSeconds * 1000;
  const [seconds, micros] = await redis.client.time();
  const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  await new Promise((resolve) => setTimeout(resolve, windowMs - (redisNow % windowMs) + 5));
  const subject = `burst-${process.hrtime.bigint()}`;
  const rule = [{ bucket: 'burst', limit }];
  await consume(subject, rule, windowSeconds);
  await new Promise((resolve) => setTimeout(resolve, windowMs - 150));
  const burst = async () =>
    (await Promise.all(Array.from({ length: limit - 1 }, () => consume(subject, rule, windowSeconds)))).filter((d) => d.allowed).length;
  const before = await burst();
  await new Promise((resolve) => setTimeout(resolve, 200));
  return before + (await burst());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Which variants to compare: BENCH_LIMITERS=ours,rate-limiter-flexible (default: every one). */
export function selectedVariants(list = process.env.BENCH_LIMITERS): LimiterVariant[] {
  if (!list) return [...LIMITER_VARIANTS];
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(LIMITER_VARIANTS as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`BENCH_LIMITERS: unknown ${unknown.join(', ')} (known: ${LIMITER_VARIANTS.join(', ')})`);
  return names as LimiterVariant[];
}

/**
 * Times `call` in rounds, the variants taking turns round by round so machine noise falls on all alike.
 * Shared with bench/breaker-scenarios.ts; 'ours' is the variant the others are paired with.
 */
export async function alternatingRounds<Variant extends string>(
  variants: Variant[],
  use: (variant: Variant) => void,
  call: () => Promise<unknown>,
  rounds: number,
  perRound: number,
): Promise<Record<string, { p50Ms: number; p99Ms: number; vsOursP50Ms?: number }>> {
  const medians = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  const all = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of [...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length)]) {
      use(variant);
      const samples: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const started = process.hrtime.bigint();
        await call();
        samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      medians.get(variant)!.push(median(samples));
      all.get(variant)!.push(...samples);
    }
  }
  // Paired with ours round by round (the median of the differences): steadier than either p50 on a busy machine.
  const ours = medians.get('ours' as Variant);
  const versusOurs = (variant: Variant) =>
    ours && variant !== 'ours' ? { vsOursP50Ms: round3(median(medians.get(variant)!.map((value, index) => value - ours[index]))) } : {};
  return Object.fromEntries(
    variants.map((variant) => [
      variant,
      { p50Ms: round3(median(medians.get(variant)!)), p99Ms: round3(percentile99(all.get(variant)!)), ...versusOurs(variant) },
    ]),
  );
}

/**
 * The limiter variants in one api process: each takes its turn inside KeyRateLimits (its `consume`
 * replaces ours on the RateLimiter instance for the round, and `take` counts request by request through
 * it), first under the full billed request, then called alone; then the boundary burst each one lets
 * through. Under the billed request, `ours, leased` is what the api runs: RateLimitLeases over our
 * script, counting a busy key's requests a few at a time (src/tenants/rate-limit-leases.ts).
 */
export async function compareLimiters(
  limiter: RateLimiter,
  leases: RateLimitLeases,
  redis: RedisConnection,
  billedRequest: () => Promise<number>,
): Promise<Record<string, unknown>> {
  const variants = selectedVariants();
  const implementations = limiterVariants(limiter, redis);
  const leasedTake = limiter.take.bind(limiter);
  const oneByOne =
    (consume: Consume): RateLimiter['take'] =>
    async (subject, rule, _wanted, windowSeconds) => {
      const decision = await consume(subject, [rule], windowSeconds);
      if (!decision.allowed) throw new TtsError('rate_limited', 'Too many requests', { retryAfterSeconds: decision.retryAfterSeconds });
      return { granted: 1, remaining: decision.remaining[rule.bucket], windowStart: 0, windowLeftMs: 60_000 };
    };
  const use = (variant: LimiterVariant | typeof LEASED) => {
    // A lease taken in the previous round would serve this round's first requests without the variant.
    void leases.flush();
    limiter.consume = implementations[variant === LEASED ? 'ours' : variant];
    limiter.take = variant === LEASED ? leasedTake : oneByOne(implementations[variant]);
  };
  const failures: Record<string, number> = {};
  const request = async () => {
    const status = await billedRequest();
    if (status !== 200) failures[String(status)] = (failures[String(status)] ?? 0) + 1;
  };
  try {
    const inRequest = [...variants, LEASED];
    for (const variant of inRequest) {
      use(variant);
      for (let i = 0; i < 200; i++) await request();
    }
    const billed = await alternatingRounds(inRequest, use, request, 30, 50);
    const subject = `bench-${process.pid}`;
    const rule = [{ bucket: 'bench', limit: 10_000_000 }];
    const alone = await alternatingRounds(variants, use, () => limiter.consume(subject, rule), 30, 100);
    const burst: Record<string, string> = {};
    for (const variant of variants)
      burst[variant] = `${await boundaryBurst(implementations[variant], redis)} of 38 sent (limit 20 per 2 s)`;
    return { variants, billedRequest: billed, limiterCallAlone: alone, boundaryBurst200ms: burst, billedRequestFailures: failures };
  } finally {
    use(LEASED);
  }
}
