import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RootLogger } from '../logging/root-logger';
import { RateLimiter, RateLimitRule } from './rate-limiter';

/** How long requests counted ahead stay usable in this process (and never past the end of the window they were counted in). */
export const LEASE_MS = 1000;
/** A process counts ahead at most this share of a limit (1 %)… */
const LEASE_SHARE_OF_LIMIT = 0.01;
/** …and at most this many requests. */
const MAX_LEASE = 100;
/** How often leases left idle are given back and forgotten. */
const SWEEP_MS = 5000;
const SHUTDOWN_FLUSH_MS = 1000;
/**
 * How long Redis's last word on a key (what it left under the limit) is trusted to let a request start
 * its work before Redis has answered for it (mayRunAhead). Every request is still counted; a wrong guess
 * (another process spent the rest meanwhile) costs only that request's work, called off before it
 * delivers anything.
 */
const HEADROOM_MS = 10 * 60_000;

/** How many requests a key may have counted ahead under `limit`; 1 or less: none. */
function leaseCap(limit: number): number {
  return Math.min(MAX_LEASE, Math.floor(limit * LEASE_SHARE_OF_LIMIT));
}

function leaseId(subject: string, rule: RateLimitRule): string {
  return `${rule.bucket}\u0000${subject}`;
}

interface Lease {
  subject: string;
  rule: RateLimitRule;
  /** Requests counted in Redis by this lease. */
  size: number;
  /** Of those, not yet made. */
  left: number;
  /** Redis's count of what is left under the limit once all `size` are made. */
  remainingAfter: number;
  windowStart: number;
  /** On this process's clock. */
  expiresAt: number;
}

/**
 * Per-key counters with fewer Redis round trips: a key busy in this process counts several of its
 * next requests in Redis at once (a lease) and then makes them from memory, so most of its requests
 * skip the round trip (0.5–0.9 ms of a billed request's latency, docs/routing.md).
 *
 * What stays exact: every request is counted in Redis before it is let through, so no instance ever
 * admits more than the limit, and a key with a limit under 200 per window (1 % under 2) leases nothing
 * and is counted request by request as before. What changes: up to 1 % of a limit (at most 100) may be
 * counted in one process before its requests come, for at most a second; whatever a lease did not use
 * is given back to its window. A lease starts at one request and doubles only while the key uses each
 * lease up within its second, so an occasional client never holds requests it does not make. If the
 * process dies holding a lease, those requests stay counted until the window slides past them.
 */
@Injectable()
export class RateLimitLeases implements OnModuleDestroy {
  private readonly leases = new Map<string, Lease>();
  private readonly inFlight = new Map<string, Promise<number>>();
  private readonly givingBack = new Set<Promise<void>>();
  /** Per key and bucket: what Redis last said was left under the limit (less the requests run ahead since), and when. */
  private readonly headroom = new Map<string, { left: number; at: number }>();
  private closing = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly logger: RootLogger,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * Gives back what the leases did not use while Redis's connection is still open (it closes in
   * onApplicationShutdown); a slow Redis is not waited for. Requests still served after this lease
   * nothing more, so nothing stays counted ahead.
   */
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
  }

  /** Lets one request of `subject` through under `rule`, or throws `rate_limited` / `service_unavailable`; resolves what is left under the limit. */
  async take(subject: string, rule: RateLimitRule): Promise<number> {
    const id = leaseId(subject, rule);
    try {
      const left = await this.count(id, subject, rule);
      this.headroom.set(id, { left, at: Date.now() });
      return left;
    } catch (error) {
      this.headroom.delete(id); // refused, or Redis cannot say: nothing runs ahead until it lets one through
      throw error;
    }
  }

  /**
   * Whether a request of `subject` may start its work while `take` asks Redis: Redis let one through
   * in the last ten minutes and said something was left, and the requests run ahead since have not used
   * that up. The answer still decides: a refusal calls the work off before anything is delivered
   * (SpeechService). One request run ahead spends one of what is believed left.
   */
  mayRunAhead(subject: string, rule: RateLimitRule): boolean {
    const known = this.headroom.get(leaseId(subject, rule));
    if (!known || known.left < 1 || Date.now() - known.at > HEADROOM_MS) return false;
    known.left--;
    return true;
  }

  /** Counts one request in Redis, or from this process's lease of the key; resolves what is left under the limit. */
  private async count(id: string, subject: string, rule: RateLimitRule): Promise<number> {
    if (leaseCap(rule.limit) <= 1) return (await this.limiter.take(subject, rule, 1)).remaining;
    // While a lease is being taken for this key, its other requests wait for it rather than take their
    // own; if it does not cover them all, one of them takes the next (twice as large) for the rest.
    for (;;) {
      const fromLease = this.fromLease(id, rule);
      if (fromLease !== undefined) return fromLease;
      const inFlight = this.inFlight.get(id);
      if (!inFlight) break;
      await inFlight.catch(() => undefined);
    }
    const taking = this.lease(id, subject, rule);
    this.inFlight.set(id, taking);
    try {
      return await taking;
    } finally {
      if (this.inFlight.get(id) === taking) this.inFlight.delete(id);
    }
  }

  /** Gives back what every lease has not used, and waits for the give-backs under way. */
  async flush(): Promise<void> {
    await Promise.all([...this.leases.values()].map((lease) => this.end(lease)));
    await Promise.all([...this.givingBack]);
  }

  private fromLease(id: string, rule: RateLimitRule): number | undefined {
    const lease = this.leases.get(id);
    if (!lease || lease.rule.limit !== rule.limit || lease.left === 0 || Date.now() >= lease.expiresAt) return undefined;
    lease.left--;
    return lease.remainingAfter + lease.left;
  }

  private async lease(id: string, subject: string, rule: RateLimitRule): Promise<number> {
    const lease = this.leases.get(id);
    const asked = Date.now();
    const wanted = this.closing ? 1 : this.nextSize(lease, rule.limit, asked);
    if (lease) void this.end(lease);
    const grant = await this.limiter.take(subject, rule, wanted);
    const fresh: Lease = {
      subject,
      rule,
      size: grant.granted,
      left: grant.granted - 1,
      remainingAfter: grant.remaining,
      windowStart: grant.windowStart,
      // From when it was asked for, so it never outlives the window it was counted in.
      expiresAt: asked + Math.min(LEASE_MS, grant.windowLeftMs),
    };
    const result = fresh.remainingAfter + fresh.left;
    const beside = this.leases.get(id);
    if (this.closing || (beside && beside.left > fresh.left && asked < beside.expiresAt)) {
      // Shutting down, or a lease taken beside this one has more left: this one's rest goes back.
      void this.end(fresh);
      return result;
    }
    if (beside) void this.end(beside);
    this.leases.set(id, fresh);
    return result;
  }

  /** One request at first; twice the last lease while the key used it up within its time; else what it used then. */
  private nextSize(lease: Lease | undefined, limit: number, now: number): number {
    const cap = leaseCap(limit);
    if (!lease || lease.rule.limit !== limit || now - lease.expiresAt > LEASE_MS) return 1;
    if (lease.left === 0 && now < lease.expiresAt) return Math.min(cap, lease.size * 2);
    return Math.max(1, Math.min(cap, lease.size - lease.left));
  }

  private sweep(now: number): void {
    for (const lease of this.leases.values()) if (now >= lease.expiresAt + LEASE_MS) void this.end(lease);
    for (const [id, known] of this.headroom) if (now - known.at > HEADROOM_MS) this.headroom.delete(id);
  }

  /** Forgets the lease and gives back what it did not use. */
  private end(lease: Lease): Promise<void> {
    const { subject, rule } = lease;
    const id = leaseId(subject, rule);
    if (this.leases.get(id) === lease) this.leases.delete(id);
    const unused = lease.left;
    lease.left = 0;
    if (unused === 0) return Promise.resolve();
    const giving: Promise<void> = this.limiter
      .giveBack(subject, rule, unused, lease.windowStart)
      .catch((error: unknown) => {
        // Not given back: those requests stay counted until the window slides past them.
        this.logger.pino.warn({ err: error, subject, bucket: rule.bucket, unused }, 'rate limit: unused requests could not be given back');
      })
      .finally(() => this.givingBack.delete(giving));
    this.givingBack.add(giving);
    return giving;
  }
}
