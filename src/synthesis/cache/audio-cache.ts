import { Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { HealthRegistry } from '../../health/health-registry';
import type { ReadinessReport } from '../../health/readiness-check';
import { RootLogger } from '../../logging/root-logger';
import type { PreparedSpeech } from '../speech.service';
import { targetIn, type RouteTarget } from '../routing/routing.types';
import { SynthesisRouter } from '../routing/synthesis.router';
import { audioCacheKey } from './audio-cache-key';
import { AudioCacheMetrics, CacheUse } from './audio-cache.metrics';
import { AudioCacheRepository } from './audio-cache.repository';
import type { CachedAudio } from './audio-cache.types';
import { CacheFill } from './cache-fill';
import { FillClaims } from './fill-claims';
import { RecentAudio } from './recent-audio';
import { RedisConnection } from '../../redis/redis-connection';
import type { HitCharge } from '../../billing/credits.service';
import { TtsError } from '../../common/tts-error';

/** Where a request's audio lives in the cache. */
export interface CachePlan {
  key: string;
  /** The tenant's id, or `shared`. */
  scope: string;
  use: CacheUse;
  bySentence: boolean;
}

/** A request's way through the cache: its plan, or why it does not use the cache. */
export type CacheDecision = { plan: CachePlan } | { bypass: 'disabled' | 'route' | 'no_store' | 'no_target' | 'engine_unknown' };

/**
 * What `acquire` found: the audio (a hit; `charged` when the statement that read it charged it too), or
 * the right to fill the entry (a miss).
 */
export type Acquired = { hit: CachedAudio; charged: boolean } | { fill: CacheFill };

const TIMED_OUT = Symbol('timed out');

/** How often a request waiting for another process's fill looks for the entry. */
const POLL_MS = 25;

/** Expired entries are deleted every tenth of their lifetime, at least every 10 minutes and at most every second… */
const SWEEP_MAX_MS = 10 * 60_000;
const SWEEP_MIN_MS = 1000;
/** …this many at a time. */
const SWEEP_BATCH = 1000;

/**
 * The audio result cache (docs/cache.md): finished audio in PostgreSQL, shared by every api and worker
 * process, keyed by the SHA-256 of everything that changes it. A hit is one statement; a miss is
 * synthesized as before and stored once its stream ends whole. Identical misses in one process
 * synthesize once: the first fills the entry, the others wait for it (up to AUDIO_CACHE_WAIT_MS).
 */
@Injectable()
export class AudioCache implements OnModuleInit, OnModuleDestroy {
  /** Entries being filled in this process, until their audio is stored (or abandoned). */
  private readonly filling = new Map<string, Promise<CachedAudio | undefined>>();
  private readonly settings: AppConfig['audioCache'];
  private readonly recent: RecentAudio;
  private readonly claims: FillClaims;
  private sweeper?: NodeJS.Timeout;

  constructor(
    config: AppConfig,
    private readonly repository: AudioCacheRepository,
    private readonly router: SynthesisRouter,
    private readonly metrics: AudioCacheMetrics,
    private readonly logger: RootLogger,
    redis: RedisConnection,
    @Optional() private readonly health?: HealthRegistry,
  ) {
    this.settings = config.audioCache;
    this.recent = new RecentAudio(this.settings.memoryBytes);
    this.claims = new FillClaims(redis, this.settings.waitMs);
  }

  onModuleInit(): void {
    this.health?.register({ key: 'audio_cache', critical: false, check: () => this.readiness() });
    this.metrics.watchUsage(() => this.repository.usage());
    if (this.settings.enabled) {
      const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, (this.settings.ttlSeconds * 1000) / 10));
      this.sweeper = setInterval(() => void this.deleteExpired(), every);
      this.sweeper.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Deletes entries past their lifetime (never served anyway), so the size in /health/ready and the
   * stored-bytes gauge count only live audio. Every api and worker process does it; two at once each
   * delete different rows or wait on the same ones. Stores delete expired entries too, but only while
   * something is stored.
   */
  async deleteExpired(): Promise<number> {
    try {
      const expired = await this.repository.deleteExpired(this.settings.ttlSeconds, SWEEP_BATCH);
      this.metrics.evicted(0, expired);
      return expired;
    } catch (error) {
      this.logger.pino.warn({ err: (error as Error).message }, 'audio cache: expired entries could not be deleted now');
      return 0;
    }
  }

  /** Whether and where `prepared` uses the cache; a bypass is counted in the metrics. */
  decide(prepared: PreparedSpeech, tenantId: string, use: CacheUse, bySentence = false): CacheDecision {
    const decision = this.plan(prepared, tenantId, use, bySentence);
    if ('bypass' in decision) this.metrics.bypass(use, decision.bypass);
    return decision;
  }

  /** The key of `target`'s audio for `prepared` (a miss served by a later target is stored under that target's key). */
  keyFor(prepared: PreparedSpeech, scope: string, target: Pick<RouteTarget, 'provider' | 'voice' | 'model'>, bySentence: boolean) {
    const routeTarget = targetIn(prepared.route, target);
    if (!routeTarget) return undefined;
    const identity = this.router.audioIdentity(prepared.route, prepared.request, routeTarget, prepared.output);
    return identity && audioCacheKey({ scope, target: routeTarget, identity, output: prepared.output, bySentence });
  }

  /**
   * A hit: the stored entry, or the audio of an identical synthesis running in this process or another
   * one (waited for up to AUDIO_CACHE_WAIT_MS). Otherwise a miss, with the fill the caller completes or
   * abandons. With `charge`, a stored entry is read and charged in one statement (a billing error then
   * throws); a hit from a synthesis that just finished comes back uncharged.
   */
  async acquire(plan: CachePlan, signal?: AbortSignal, charge?: HitCharge): Promise<Acquired> {
    const started = performance.now();
    const deadline = Date.now() + this.settings.waitMs;
    for (;;) {
      const running = this.filling.get(plan.key);
      if (running) {
        const audio = await waitFor(running, deadline - Date.now(), signal);
        if (audio === TIMED_OUT) return this.missed(plan, false);
        if (audio) return this.hit(plan, audio, started, false);
        continue; // it failed or was abandoned: look again, and fill it ourselves if nobody else does
      }
      const stored = await this.read(plan, charge);
      if (stored) return this.hit(plan, stored, started, charge !== undefined);
      if (this.filling.has(plan.key)) continue;
      const claim = await this.claims.claim(plan.key);
      if (this.filling.has(plan.key)) {
        if (claim) this.claims.release(plan.key, claim);
        continue; // another request of this process became the filler meanwhile: wait for it
      }
      if (claim !== false) return this.missed(plan, true, claim);
      const filledElsewhere = await this.waitForOtherProcess(plan, deadline, signal, charge);
      if (filledElsewhere === TIMED_OUT) return this.missed(plan, false);
      if (filledElsewhere) return this.hit(plan, filledElsewhere, started, charge !== undefined);
    }
  }

  /** The entry another process is filling, once stored; undefined when its claim ends without one (look again). */
  private async waitForOtherProcess(
    plan: CachePlan,
    deadline: number,
    signal?: AbortSignal,
    charge?: HitCharge,
  ): Promise<CachedAudio | undefined | typeof TIMED_OUT> {
    while (Date.now() + POLL_MS < deadline && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const stored = await this.read(plan, charge);
      if (stored) return stored;
      if (!(await this.claims.claimed(plan.key))) return undefined;
    }
    return TIMED_OUT;
  }

  private plan(prepared: PreparedSpeech, tenantId: string, use: CacheUse, bySentence: boolean): CacheDecision {
    const { request, route } = prepared;
    if (!this.settings.enabled) return { bypass: 'disabled' };
    if (route.cache === 'off') return { bypass: 'route' };
    if (request.cache === 'no-store') return { bypass: 'no_store' };
    const target = this.router.firstServable(route, request);
    if (!target) return { bypass: 'no_target' };
    const scope = route.cache === 'shared' ? 'shared' : tenantId;
    const key = this.keyFor(prepared, scope, target, bySentence);
    if (!key) return { bypass: 'engine_unknown' };
    return { plan: { key, scope, use, bySentence } };
  }

  private hit(plan: CachePlan, audio: CachedAudio, started: number, charged: boolean): Acquired {
    this.metrics.hit(plan.use, (performance.now() - started) / 1000);
    return { hit: audio, charged };
  }

  /** A miss. The leader's fill is registered so identical requests wait for it; one that stopped waiting fills on its own. */
  private missed(plan: CachePlan, lead: boolean, claim?: string): Acquired {
    this.metrics.miss(plan.use);
    let settle: (audio: CachedAudio | undefined) => void = () => undefined;
    let stopFilling = () => undefined as void;
    if (lead) {
      const filled = new Promise<CachedAudio | undefined>((resolve) => (settle = resolve));
      this.filling.set(plan.key, filled);
      stopFilling = () => {
        clearTimeout(expiry); // the timer holds the audio through `filled`: never keep it past the fill
        if (this.filling.get(plan.key) === filled) this.filling.delete(plan.key);
      };
      // A fill nobody completes or abandons (a stream never read) must not make its key wait for ever.
      const expiry = setTimeout(stopFilling, this.settings.waitMs).unref();
    }
    const release = () => {
      stopFilling();
      if (claim) this.claims.release(plan.key, claim);
    };
    const fill = new CacheFill(plan.key, this.settings.maxEntryBytes, async (outcome) => {
      settle(outcome?.audio);
      if (!outcome) return release();
      // Waiters are served from memory at once; the entry stays "filling" until it is in the store,
      // so a request arriving in between is served from memory too rather than synthesizing again.
      await this.store(plan, outcome.key, outcome.audio).finally(release);
    });
    return { fill };
  }

  /** The stored entry (charged with `charge` in the same statement), from this process's copy when it is the same version. */
  private async read(plan: CachePlan, charge?: HitCharge): Promise<CachedAudio | undefined> {
    try {
      const held = this.recent.get(plan.key);
      const { ttlSeconds } = this.settings;
      const row = charge
        ? await this.repository.takeCharged(plan.key, ttlSeconds, held?.version, charge)
        : await this.repository.take(plan.key, ttlSeconds, held?.version);
      if (!row) {
        this.recent.delete(plan.key);
        return undefined;
      }
      if (row.audio === undefined) return held?.audio; // the statement left the audio out: we hold this version
      return this.recent.set(plan.key, row.version, { bytes: row.audio, meta: row.meta });
    } catch (error) {
      if (error instanceof TtsError) throw error; // the hit's charge was refused: nothing was charged or marked used
      // The cache is an optimisation: without it the request is synthesized (and fails on its own if PostgreSQL is gone).
      this.logger.pino.warn({ err: (error as Error).message }, 'audio cache lookup failed; synthesizing');
      return undefined;
    }
  }

  private async store(plan: CachePlan, key: string, audio: CachedAudio): Promise<void> {
    if (audio.bytes.length > this.settings.maxEntryBytes) return this.metrics.stored('too_large');
    try {
      const outcome = await this.repository.store(
        key,
        plan.scope,
        audio.bytes,
        audio.meta,
        this.settings.maxBytes,
        this.settings.ttlSeconds,
      );
      this.metrics.stored(outcome.stored ? 'stored' : 'exists');
      this.metrics.evicted(outcome.evicted, outcome.expired);
    } catch (error) {
      this.metrics.stored('failed');
      this.logger.pino.warn({ err: (error as Error).message }, 'audio cache store failed; the entry is not kept');
    }
  }

  private async readiness(): Promise<ReadinessReport> {
    const { enabled, maxBytes, ttlSeconds } = this.settings;
    if (!enabled) return { status: 'up', enabled };
    const usage = await this.repository.usage();
    return { status: 'up', enabled, entries: usage.entries, bytes: usage.bytes, maxBytes, ttlSeconds };
  }
}

/** `promise`'s value, or TIMED_OUT after `ms` or when `signal` aborts. */
async function waitFor<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | typeof TIMED_OUT> {
  if (ms <= 0 || signal?.aborted) return TIMED_OUT;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    onAbort = () => resolve(TIMED_OUT);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
