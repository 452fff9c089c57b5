import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../../src/config/app-config';
import { RootLogger } from '../../../src/logging/root-logger';
import { RedisConnection } from '../../../src/redis/redis-connection';
import { LEASE_MS, RateLimitLeases } from '../../../src/tenants/rate-limit-leases';
import { RateLimiter } from '../../../src/tenants/rate-limiter';

/** Against the test Redis (own key prefix per run), as two api processes would share it. */
describe('RateLimitLeases (a busy key counted a few requests at a time)', () => {
  let connections: RedisConnection[];
  let limiters: RateLimiter[];
  let leases: RateLimitLeases[];
  let logger: RootLogger;

  beforeAll(() => {
    const config = AppConfig.load();
    logger = new RootLogger(config);
    connections = [new RedisConnection(config, logger), new RedisConnection(config, logger)];
    limiters = connections.map((connection) => new RateLimiter(connection));
    leases = limiters.map((limiter) => new RateLimitLeases(limiter, logger));
  });
  // Each test runs well inside one minute window of Redis's clock, so a window that rolls over cannot end a lease early.
  beforeEach(async () => {
    const [seconds, micros] = await connections[0].client.time();
    const intoWindow = (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) % 60_000;
    if (intoWindow > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 10));
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    for (const lease of leases) await lease.onModuleDestroy();
    for (const connection of connections) await connection.onApplicationShutdown();
  });

  const subject = () => `key-${randomUUID()}`;
  /** What Redis has counted for the subject, this window and the one before. */
  const counted = async (key: string, bucket: string) => {
    const [c, p] = await connections[0].client.hmget(connections[0].key('rate', bucket, key), 'c', 'p');
    return Number(c ?? 0) + Number(p ?? 0);
  };
  const outcome = (promise: Promise<number>): Promise<{ allowed: boolean; remaining?: number; code?: string }> =>
    promise.then(
      (remaining) => ({ allowed: true, remaining }),
      (error: { code?: string }) => ({ allowed: false, code: error.code }),
    );

  it('a limit under 200 is counted request by request, exactly as before', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'requests', limit: 150 };
    const remaining = [];
    for (let index = 0; index < 5; index++) remaining.push(await leases[0].take(key, rule));
    expect(remaining).toEqual([149, 148, 147, 146, 145]);
    expect(take.mock.calls.map((call) => call[2])).toEqual([1, 1, 1, 1, 1]);
    expect(await counted(key, 'requests')).toBe(5);
  });

  it('a busy key makes one round trip for many requests; remaining still counts down by one; what it did not use is given back', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'requests', limit: 10_000 };
    const remaining = [];
    for (let index = 0; index < 30; index++) remaining.push(await leases[0].take(key, rule));
    expect(remaining).toEqual(Array.from({ length: 30 }, (_, index) => 9_999 - index));
    // Leases of 1, 2, 4, 8 and 16: five round trips for thirty requests.
    expect(take.mock.calls.map((call) => call[2])).toEqual([1, 2, 4, 8, 16]);
    expect(await counted(key, 'requests')).toBe(31); // one counted ahead
    await leases[0].flush();
    expect(await counted(key, 'requests')).toBe(30);
  });

  it('requests of one key arriving together share leases that double, one round trip at a time', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'requests', limit: 10_000 };
    const remaining = await Promise.all(Array.from({ length: 60 }, () => leases[0].take(key, rule)));
    expect([...remaining].sort((a, b) => b - a)).toEqual(Array.from({ length: 60 }, (_, index) => 9_999 - index));
    expect(take.mock.calls.map((call) => call[2])).toEqual([1, 2, 4, 8, 16, 32]);
    await leases[0].flush();
    expect(await counted(key, 'requests')).toBe(60);
  });

  it('a limit under 200 with requests arriving together: each counted on its own, none waiting for another', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'job_creates', limit: 120 };
    const pending = Array.from({ length: 10 }, () => leases[0].take(key, rule));
    expect(take).toHaveBeenCalledTimes(10); // all asked at once, before any answer
    expect((await Promise.all(pending)).sort((a, b) => b - a)).toEqual(Array.from({ length: 10 }, (_, index) => 119 - index));
    expect(await counted(key, 'job_creates')).toBe(10);
  });

  it('never admits more than the limit across two processes', async () => {
    const key = subject();
    const rule = { bucket: 'requests', limit: 300 }; // leases of up to 3
    const results = await Promise.all(Array.from({ length: 400 }, (_, index) => outcome(leases[index % 2].take(key, rule))));
    const allowed = results.filter((result) => result.allowed).length;
    expect(allowed).toBeLessThanOrEqual(300);
    // At most one lease's unused requests in each process are left over.
    expect(allowed).toBeGreaterThanOrEqual(300 - 2 * 3);
    expect(results.filter((result) => !result.allowed).every((result) => result.code === 'rate_limited')).toBe(true);
    await Promise.all(leases.map((lease) => lease.flush()));
    expect(await counted(key, 'requests')).toBe(allowed);
  });

  it('one process alone gets exactly the limit, then rate_limited', async () => {
    const key = subject();
    const rule = { bucket: 'requests', limit: 200 };
    const results = [];
    for (let index = 0; index < 205; index++) results.push(await outcome(leases[0].take(key, rule)));
    expect(results.filter((result) => result.allowed)).toHaveLength(200);
    expect(results.slice(200).every((result) => result.code === 'rate_limited')).toBe(true);
  });

  it('an occasional client is never counted ahead; a lease out of time is given back', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'requests', limit: 10_000 };
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    for (let index = 0; index < 3; index++) {
      await leases[0].take(key, rule);
      now += LEASE_MS + 500;
    }
    expect(take.mock.calls.map((call) => call[2])).toEqual([1, 1, 1]);
    // Busy for a moment (leases of 1, 2, 4: seven counted for four requests), then quiet.
    for (let index = 0; index < 4; index++) await leases[0].take(key, rule);
    expect(await counted(key, 'requests')).toBe(3 + 7);
    now += LEASE_MS + 500;
    await leases[0].take(key, rule); // the lease with three unused is given back; this one counts what the last lease used
    expect(take.mock.calls.at(-1)?.[2]).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await counted(key, 'requests')).toBe(3 + 4 + 1 + 0);
  });

  it('a process shutting down gives back what it counted ahead, and counts nothing ahead after that', async () => {
    const key = subject();
    const take = jest.spyOn(limiters[0], 'take');
    const rule = { bucket: 'requests', limit: 10_000 };
    const own = new RateLimitLeases(limiters[0], logger);
    for (let index = 0; index < 4; index++) await own.take(key, rule);
    expect(await counted(key, 'requests')).toBe(1 + 2 + 4);
    await own.onModuleDestroy();
    expect(await counted(key, 'requests')).toBe(4);
    for (let index = 0; index < 3; index++) await own.take(key, rule); // still served while the app closes
    expect(take.mock.calls.map((call) => call[2])).toEqual([1, 2, 4, 1, 1, 1]);
    await own.flush();
    expect(await counted(key, 'requests')).toBe(7);
  });

  it('Redis unreachable: service_unavailable, not an unlimited pass', async () => {
    const config = AppConfig.load({ ...process.env, REDIS_URL: 'redis://127.0.0.1:1/0' });
    const cut = new RedisConnection(config, new RootLogger(config));
    const cutLeases = new RateLimitLeases(new RateLimiter(cut), new RootLogger(config));
    try {
      await expect(cutLeases.take(subject(), { bucket: 'requests', limit: 10_000 })).rejects.toMatchObject({
        code: 'service_unavailable',
      });
    } finally {
      await cutLeases.onModuleDestroy();
      cut.client.disconnect();
    }
  });

  describe('mayRunAhead (a request starting its work before Redis answers for it)', () => {
    it('never for a key Redis has not let through in this process, nor after a refusal or Redis failing', async () => {
      const key = subject();
      const rule = { bucket: 'requests', limit: 2 };
      expect(leases[0].mayRunAhead(key, rule)).toBe(false);
      expect(await leases[0].take(key, rule)).toBe(1);
      expect(leases[0].mayRunAhead(key, rule)).toBe(true);
      expect(await leases[0].take(key, rule)).toBe(0); // nothing left: the next one waits for Redis
      expect(leases[0].mayRunAhead(key, rule)).toBe(false);
      expect(await outcome(leases[0].take(key, rule))).toEqual({ allowed: false, code: 'rate_limited' });
      expect(leases[0].mayRunAhead(key, rule)).toBe(false);

      const other = subject();
      await leases[0].take(other, rule);
      jest.spyOn(limiters[0], 'take').mockRejectedValueOnce(Object.assign(new Error('Redis is down'), { code: 'service_unavailable' }));
      expect(await outcome(leases[0].take(other, rule))).toEqual({ allowed: false, code: 'service_unavailable' });
      expect(leases[0].mayRunAhead(other, rule)).toBe(false);
    });

    it('spends what Redis said was left, one request at a time, until Redis answers again', async () => {
      const key = subject();
      const rule = { bucket: 'requests', limit: 3 };
      expect(await leases[0].take(key, rule)).toBe(2);
      expect([leases[0].mayRunAhead(key, rule), leases[0].mayRunAhead(key, rule), leases[0].mayRunAhead(key, rule)]).toEqual([
        true,
        true,
        false,
      ]);
      expect(await leases[0].take(key, rule)).toBe(1);
      expect(leases[0].mayRunAhead(key, rule)).toBe(true);
    });

    it("is per process: another process's requests spend the limit unseen, and the answer still refuses", async () => {
      const key = subject();
      const rule = { bucket: 'requests', limit: 2 };
      await leases[0].take(key, rule);
      await leases[1].take(key, rule); // the other api instance takes the last one
      expect(leases[0].mayRunAhead(key, rule)).toBe(true); // a wrong guess, which Redis then corrects
      expect(await outcome(leases[0].take(key, rule))).toEqual({ allowed: false, code: 'rate_limited' });
      expect(leases[0].mayRunAhead(key, rule)).toBe(false);
    });

    it('forgets what Redis said after ten minutes', async () => {
      const key = subject();
      const rule = { bucket: 'requests', limit: 100 };
      await leases[0].take(key, rule);
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now + 10 * 60_000 + 1);
      expect(leases[0].mayRunAhead(key, rule)).toBe(false);
    });
  });
});
