import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics.registry';
import type { CacheUsage } from './audio-cache.repository';

export type CacheUse = 'request' | 'job';

/**
 * The audio cache's Prometheus metrics. Hits, misses, stores and evictions are this process's
 * counters; stored bytes and entries are the shared store's totals, read when /metrics is scraped.
 */
@Injectable()
export class AudioCacheMetrics {
  private readonly hits: Counter<'use'>;
  private readonly misses: Counter<'use'>;
  private readonly bypassed: Counter<'use' | 'reason'>;
  private readonly stores: Counter<'outcome'>;
  private readonly evictions: Counter<'reason'>;
  private readonly hitLatency: Histogram<'use'>;

  constructor(private readonly metrics: MetricsRegistry) {
    this.hits = metrics.counter({ name: 'tts_audio_cache_hits_total', help: 'Answers served from the audio cache', labelNames: ['use'] });
    this.misses = metrics.counter({
      name: 'tts_audio_cache_misses_total',
      help: 'Cacheable requests that had to be synthesized',
      labelNames: ['use'],
    });
    this.bypassed = metrics.counter({
      name: 'tts_audio_cache_bypassed_total',
      help: 'Requests that did not use the audio cache, by reason',
      labelNames: ['use', 'reason'],
    });
    this.stores = metrics.counter({
      name: 'tts_audio_cache_stores_total',
      help: 'Finished syntheses offered to the audio cache, by outcome',
      labelNames: ['outcome'],
    });
    this.evictions = metrics.counter({
      name: 'tts_audio_cache_evictions_total',
      help: 'Entries removed from the audio cache: lru (byte bound) or expired (AUDIO_CACHE_TTL_SECONDS)',
      labelNames: ['reason'],
    });
    this.hitLatency = metrics.histogram({
      name: 'tts_audio_cache_hit_seconds',
      help: 'Time from the cache lookup to the stored audio in hand, for hits',
      labelNames: ['use'],
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    });
  }

  /** The shared store's totals as gauges, read on each scrape (one single-row query). */
  watchUsage(read: () => Promise<CacheUsage>): void {
    let last: Promise<CacheUsage> | undefined;
    // Both gauges are collected in one scrape: they share one query.
    const usage = () => (last ??= read().finally(() => setTimeout(() => (last = undefined), 100).unref()));
    this.metrics.gauge({
      name: 'tts_audio_cache_stored_bytes',
      help: 'Bytes of audio in the audio cache (all processes share it)',
      async collect() {
        // Unreadable now (PostgreSQL away): the last value stays, and the scrape still succeeds.
        await usage().then(
          (found) => this.set(found.bytes),
          () => undefined,
        );
      },
    });
    this.metrics.gauge({
      name: 'tts_audio_cache_entries',
      help: 'Entries in the audio cache (all processes share it)',
      async collect() {
        await usage().then(
          (found) => this.set(found.entries),
          () => undefined,
        );
      },
    });
  }

  hit(use: CacheUse, seconds: number): void {
    this.hits.inc({ use });
    this.hitLatency.observe({ use }, seconds);
  }

  miss(use: CacheUse): void {
    this.misses.inc({ use });
  }

  bypass(use: CacheUse, reason: string): void {
    this.bypassed.inc({ use, reason });
  }

  stored(outcome: 'stored' | 'exists' | 'too_large' | 'failed'): void {
    this.stores.inc({ outcome });
  }

  evicted(lru: number, expired: number): void {
    if (lru > 0) this.evictions.inc({ reason: 'lru' }, lru);
    if (expired > 0) this.evictions.inc({ reason: 'expired' }, expired);
  }
}
