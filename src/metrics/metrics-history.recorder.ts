import { hostname } from 'node:os';
import { BeforeApplicationShutdown, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import type { MetricValue } from 'prom-client';
import { RootLogger } from '../logging/root-logger';
import { RedisConnection } from '../redis/redis-connection';
import { faceOfPath } from './http-metrics.middleware';
import { HISTORY_KEY, HISTORY_SLOT_SECONDS, HISTORY_TTL_MS, historyField, HistoryKind, slotOf } from './metrics-history';
import { MetricsRegistry } from './metrics.registry';

/** prom-client's values; histograms' carry the series name (`…_bucket`, `…_sum`, `…_count`). */
type Values = Array<MetricValue<string> & { metricName?: string }>;

/** The series the charts draw; read from this process's own Prometheus registry, never recomputed. */
const PROVIDER_ATTEMPTS = 'tts_provider_attempts_total';
const PROVIDER_DURATION = 'tts_provider_call_duration_seconds';
const HTTP_REQUESTS = 'tts_http_requests_total';
const HTTP_DURATION = 'tts_http_request_duration_seconds';
/** Health probes, scrapes and the dashboard's own polling are not traffic. */
const UNCHARTED_FACE = faceOfPath('/');

/**
 * Adds this process's counts of each 10-second slot to the shared history in Redis (see
 * metrics-history.ts). Reads the cumulative Prometheus series every slot and writes the increase, so
 * the request path does nothing more than it already did. Runs in the api and in every worker.
 */
@Injectable()
export class MetricsHistoryRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly processLabel = `${RootLogger.processName}@${hostname()}:${process.pid}`;
  private previous?: Map<string, number>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly redis: RedisConnection,
    private readonly logger: RootLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.previous = undefined;
    this.scheduleNext();
  }

  /** The counts since the last slot are written before the process goes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    // Without Redis there is nothing to add to; waiting on a dead connection would only delay the shutdown.
    if (this.redis.client.status === 'ready') await this.record();
  }

  /** Writes what was counted since the last call into the slot that `at` falls in. Tests call it directly. */
  async record(at = Date.now()): Promise<void> {
    const current = await this.cumulative();
    const previous = this.previous;
    this.previous = current;
    if (!previous) return;
    const slotKey = this.redis.key(HISTORY_KEY, String(slotOf(at)));
    const pipeline = this.redis.client.pipeline();
    let writes = 0;
    for (const [field, value] of current) {
      const increase = value - (previous.get(field) ?? 0);
      if (increase > 0) {
        pipeline.hincrby(slotKey, field, increase);
        writes++;
      }
    }
    if (writes === 0) return;
    pipeline.pexpire(slotKey, HISTORY_TTL_MS);
    try {
      await pipeline.exec();
    } catch (error) {
      this.logger.pino.debug({ err: (error as Error).message }, 'metrics history not written');
    }
  }

  /** Just after each slot boundary, so a slot's counts land in that slot. */
  private scheduleNext(): void {
    if (this.stopped) return;
    const slotMs = HISTORY_SLOT_SECONDS * 1000;
    const delay = slotMs - (Date.now() % slotMs) + 50;
    this.timer = setTimeout(() => {
      this.running = this.record(Date.now() - 100).finally(() => {
        this.running = undefined;
        this.scheduleNext();
      });
    }, delay);
    this.timer.unref();
  }

  private async cumulative(): Promise<Map<string, number>> {
    const fields = new Map<string, number>();
    const add = (kind: HistoryKind, subject: string, measure: string, value: number) => {
      const name = historyField({ kind, subject, process: this.processLabel, measure });
      fields.set(name, (fields.get(name) ?? 0) + value);
    };
    for (const value of await this.valuesOf(PROVIDER_ATTEMPTS)) {
      const provider = String(value.labels.provider);
      add('p', provider, 'n', value.value);
      if (value.labels.outcome !== 'ok') add('p', provider, 'f', value.value);
    }
    for (const value of await this.valuesOf(PROVIDER_DURATION))
      if (value.metricName?.endsWith('_bucket')) add('p', String(value.labels.provider), `le=${value.labels.le}`, value.value);
    for (const value of await this.valuesOf(HTTP_REQUESTS)) {
      const face = String(value.labels.face);
      if (face === UNCHARTED_FACE) continue;
      add('h', face, 'n', value.value);
      if (Number(value.labels.status) >= 500) add('h', face, 'f', value.value);
    }
    for (const value of await this.valuesOf(HTTP_DURATION))
      if (value.metricName?.endsWith('_bucket') && value.labels.face !== UNCHARTED_FACE)
        add('h', String(value.labels.face), `le=${value.labels.le}`, value.value);
    return fields;
  }

  private async valuesOf(name: string): Promise<Values> {
    const metric = this.metrics.registry.getSingleMetric(name);
    return metric ? (await metric.get()).values : [];
  }
}

/** The history recorder, for the api and the worker (not the CLI). */
@Module({ providers: [MetricsHistoryRecorder], exports: [MetricsHistoryRecorder] })
export class MetricsHistoryModule {}
