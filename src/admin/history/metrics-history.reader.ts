import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import {
  addMeasure,
  emptyCounts,
  HISTORY_KEY,
  HISTORY_SLOT_SECONDS,
  HISTORY_WINDOW_SECONDS,
  HistoryKind,
  LatencyCounts,
  parseHistoryField,
  quantileMs,
  slotOf,
} from '../../metrics/metrics-history';
import { RedisConnection } from '../../redis/redis-connection';

type SlotFields = Map<string, number>;

interface SlotPoint {
  kind: HistoryKind;
  subject: string;
  perSecond: number;
  failures: number;
  p50: number | null;
  p95: number | null;
}

/** Slots this far behind now are complete (every process has flushed into them) and are kept in memory. */
const SETTLED_AFTER_SLOTS = 3;

/** One subject (a provider or a face) over the chart's slots: per-second rates, failures and latency. */
export interface SubjectSeries {
  per_second: number[];
  failures: number[];
  p50_ms: Array<number | null>;
  p95_ms: Array<number | null>;
}

export interface HistorySeries {
  slot_seconds: number;
  /** Start of each slot, epoch seconds, oldest first. */
  slots: number[];
  providers: Record<string, SubjectSeries>;
  faces: Record<string, SubjectSeries>;
}

/** Totals over a recent window for one subject, across processes and per process. */
export interface RecentFigures {
  calls: number;
  failures: number;
  error_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface RecentSubject extends RecentFigures {
  by_process: Record<string, RecentFigures>;
}

/**
 * Reads the shared metrics history (src/metrics/metrics-history.ts) for the dashboard. Settled slots
 * are cached, so a refresh every few seconds reads two or three small hashes from Redis, not 360.
 */
@Injectable()
export class MetricsHistoryReader {
  private readonly settled = new Map<number, SlotFields>();
  /** Each settled slot's chart points, computed once. */
  private readonly settledPoints = new Map<number, SlotPoint[]>();

  constructor(private readonly redis: RedisConnection) {}

  /**
   * Chart series of the slots after `sinceSeconds` (default: the last hour), up to the last complete
   * slot. The last few slots may still grow (a process flushes just after the boundary), so a poller asks
   * again from a few slots before the newest it holds and replaces those.
   */
  async series(sinceSeconds?: number, now = Date.now()): Promise<HistorySeries> {
    const last = lastCompleteSlot(now);
    const first = Math.max(last - HISTORY_WINDOW_SECONDS + HISTORY_SLOT_SECONDS, sinceSeconds === undefined ? -Infinity : sinceSeconds + 1);
    const slots = await this.slots(Math.ceil(first / HISTORY_SLOT_SECONDS) * HISTORY_SLOT_SECONDS, last, now);
    const providers: Record<string, SubjectSeries> = {};
    const faces: Record<string, SubjectSeries> = {};
    slots.forEach(([slot, fields], index) => {
      for (const point of this.pointsOf(slot, fields)) {
        const target = point.kind === 'p' ? providers : faces;
        const series = (target[point.subject] ??= emptySeries(slots.length));
        series.per_second[index] = point.perSecond;
        series.failures[index] = point.failures;
        series.p50_ms[index] = point.p50;
        series.p95_ms[index] = point.p95;
      }
    });
    return { slot_seconds: HISTORY_SLOT_SECONDS, slots: slots.map(([slot]) => slot), providers, faces };
  }

  /** Each provider's calls, error rate and latency over the last `windowSeconds`, in all and per process. */
  async recentProviders(windowSeconds: number, now = Date.now()): Promise<Record<string, RecentSubject>> {
    const last = lastCompleteSlot(now);
    const slots = await this.slots(last - windowSeconds + HISTORY_SLOT_SECONDS, last, now);
    const totals = new Map<string, { all: LatencyCounts; byProcess: Map<string, LatencyCounts> }>();
    for (const [, fields] of slots) {
      for (const [name, value] of fields) {
        const field = parseHistoryField(name);
        if (!field || field.kind !== 'p') continue;
        let entry = totals.get(field.subject);
        if (!entry) totals.set(field.subject, (entry = { all: emptyCounts(), byProcess: new Map() }));
        addMeasure(entry.all, field.measure, value);
        let own = entry.byProcess.get(field.process);
        if (!own) entry.byProcess.set(field.process, (own = emptyCounts()));
        addMeasure(own, field.measure, value);
      }
    }
    const result: Record<string, RecentSubject> = {};
    for (const [provider, { all, byProcess }] of totals) {
      result[provider] = {
        ...figures(all),
        by_process: Object.fromEntries([...byProcess].map(([process, counts]) => [process, figures(counts)])),
      };
    }
    return result;
  }

  private pointsOf(slot: number, fields: SlotFields): SlotPoint[] {
    const cached = this.settledPoints.get(slot);
    if (cached) return cached;
    const points = totalsBySubject(fields).map(([kind, subject, counts]) => ({
      kind,
      subject,
      perSecond: round(counts.calls / HISTORY_SLOT_SECONDS),
      failures: counts.failures,
      p50: quantileMs(counts, 0.5) ?? null,
      p95: quantileMs(counts, 0.95) ?? null,
    }));
    if (this.settled.get(slot) === fields) this.settledPoints.set(slot, points);
    return points;
  }

  /** [slot start, its fields] for every slot from `first` to `last` inclusive; settled ones from memory. */
  private async slots(first: number, last: number, now: number): Promise<Array<[number, SlotFields]>> {
    const wanted: number[] = [];
    for (let slot = first; slot <= last; slot += HISTORY_SLOT_SECONDS) wanted.push(slot);
    const missing = wanted.filter((slot) => !this.settled.has(slot));
    const read = new Map<number, SlotFields>();
    if (missing.length > 0) {
      const pipeline = this.redis.client.pipeline();
      for (const slot of missing) pipeline.hgetall(this.redis.key(HISTORY_KEY, String(slot)));
      const replies =
        (await pipeline.exec().catch((error: Error) => {
          throw new TtsError('service_unavailable', 'The metrics history cannot be read right now (Redis).', {
            retryAfterSeconds: 5,
            cause: error,
          });
        })) ?? [];
      const settledBefore = slotOf(now) - SETTLED_AFTER_SLOTS * HISTORY_SLOT_SECONDS;
      missing.forEach((slot, index) => {
        const [error, hash] = replies[index] ?? [];
        if (error) throw error;
        const fields: SlotFields = new Map(Object.entries((hash ?? {}) as Record<string, string>).map(([k, v]) => [k, Number(v)]));
        read.set(slot, fields);
        if (slot < settledBefore) this.settled.set(slot, fields);
      });
    }
    this.forgetBefore(slotOf(now) - HISTORY_WINDOW_SECONDS);
    return wanted.map((slot) => [slot, this.settled.get(slot) ?? read.get(slot)!]);
  }

  private forgetBefore(slot: number): void {
    for (const cached of this.settled.keys())
      if (cached < slot) {
        this.settled.delete(cached);
        this.settledPoints.delete(cached);
      }
  }
}

/** The slot in progress is left out: processes write into a slot when it ends. */
function lastCompleteSlot(now: number): number {
  return slotOf(now) - HISTORY_SLOT_SECONDS;
}

function totalsBySubject(fields: SlotFields): Array<[HistoryKind, string, LatencyCounts]> {
  const totals = new Map<string, [HistoryKind, string, LatencyCounts]>();
  for (const [name, value] of fields) {
    const field = parseHistoryField(name);
    if (!field) continue;
    const key = `${field.kind}|${field.subject}`;
    let entry = totals.get(key);
    if (!entry) totals.set(key, (entry = [field.kind, field.subject, emptyCounts()]));
    addMeasure(entry[2], field.measure, value);
  }
  return [...totals.values()];
}

function emptySeries(length: number): SubjectSeries {
  return {
    per_second: new Array<number>(length).fill(0),
    failures: new Array<number>(length).fill(0),
    p50_ms: new Array<number | null>(length).fill(null),
    p95_ms: new Array<number | null>(length).fill(null),
  };
}

function figures(counts: LatencyCounts): RecentFigures {
  return {
    calls: counts.calls,
    failures: counts.failures,
    error_rate: counts.calls > 0 ? round(counts.failures / counts.calls) : null,
    p50_ms: quantileMs(counts, 0.5) ?? null,
    p95_ms: quantileMs(counts, 0.95) ?? null,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
