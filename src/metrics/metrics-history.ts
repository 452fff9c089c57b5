/**
 * The last hour of request rates, latencies and failures, shared by every process through Redis.
 *
 * Each api and worker process adds what it counted during a 10-second slot to one Redis hash per slot
 * (HINCRBY), so several processes' figures add up by themselves and the api that draws the chart sees
 * the whole deployment: its own calls, the other api processes' and every worker's. Hashes expire after
 * a little more than an hour, so the store is bounded without a sweeper. Fields:
 *
 *   `<kind>|<subject>|<process>|<measure>`   kind `p` = provider (subject = provider id),
 *                                            kind `h` = HTTP face (subject = sauti, fish, bifrost, openai)
 *   measure `n` calls, `f` failed calls (provider) or 5xx answers (HTTP), `le=<seconds>` calls that took
 *   at most that long (Prometheus's cumulative buckets, so quantiles come out as `histogram_quantile`).
 */
export const HISTORY_SLOT_SECONDS = 10;
export const HISTORY_WINDOW_SECONDS = 3600;
export const HISTORY_KEY = 'metrics-history';
/** A slot outlives the window a little, for readers that start their hour just before it ends. */
export const HISTORY_TTL_MS = (HISTORY_WINDOW_SECONDS + 5 * 60) * 1000;

export type HistoryKind = 'p' | 'h';

export interface HistoryField {
  kind: HistoryKind;
  subject: string;
  process: string;
  measure: string;
}

export function historyField(field: HistoryField): string {
  return `${field.kind}|${field.subject}|${field.process}|${field.measure}`;
}

export function parseHistoryField(name: string): HistoryField | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || (parts[0] !== 'p' && parts[0] !== 'h')) return undefined;
  return { kind: parts[0], subject: parts[1], process: parts[2], measure: parts[3] };
}

/** The start (epoch seconds) of the slot holding `epochMs`. */
export function slotOf(epochMs: number): number {
  return Math.floor(epochMs / 1000 / HISTORY_SLOT_SECONDS) * HISTORY_SLOT_SECONDS;
}

/** Counts of one subject over some slots: calls, failures and the cumulative latency buckets. */
export interface LatencyCounts {
  calls: number;
  failures: number;
  /** Upper bound in seconds → calls that took at most that long. */
  buckets: Map<number, number>;
}

export function emptyCounts(): LatencyCounts {
  return { calls: 0, failures: 0, buckets: new Map() };
}

export function addMeasure(counts: LatencyCounts, measure: string, value: number): void {
  if (measure === 'n') counts.calls += value;
  else if (measure === 'f') counts.failures += value;
  else if (measure.startsWith('le=')) {
    const bound = measure === 'le=+Inf' ? Infinity : Number(measure.slice(3));
    if (!Number.isNaN(bound)) counts.buckets.set(bound, (counts.buckets.get(bound) ?? 0) + value);
  }
}

/**
 * The q-quantile in milliseconds estimated from cumulative buckets, as Prometheus's histogram_quantile
 * does: linear within the bucket that holds the rank; the highest finite bound when it falls past it.
 * Undefined without calls.
 */
export function quantileMs(counts: LatencyCounts, q: number): number | undefined {
  const bounds = [...counts.buckets.keys()].sort((a, b) => a - b);
  const total = counts.buckets.get(Infinity) ?? counts.calls;
  if (total <= 0 || bounds.length === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = counts.buckets.get(bound)!;
    if (count >= rank) {
      if (bound === Infinity) return round(lowerBound * 1000);
      const inBucket = count - lowerCount;
      const fraction = inBucket > 0 ? (rank - lowerCount) / inBucket : 1;
      return round((lowerBound + (bound - lowerBound) * fraction) * 1000);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return round(lowerBound * 1000);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
