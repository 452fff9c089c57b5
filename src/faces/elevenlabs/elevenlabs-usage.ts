import { TtsError } from '../../common/tts-error';
import { assertUsageSpan, type UsageDimension, type UsageInterval, type UsageQuery } from '../../usage/usage-query';
import { nextBucket, type UsageBucket, type UsageReport } from '../../usage/usage.service';

/** ElevenLabs' breakdowns this service can answer, and the usage dimension each reads. */
const BREAKDOWNS: Record<string, UsageDimension | undefined> = {
  none: undefined,
  voice: 'voice',
  api_keys: 'api_key',
  all_api_keys: 'api_key',
  model: 'provider',
};

const METRICS: Record<string, (bucket: UsageBucket) => number> = {
  credits: (bucket) => bucket.credits_charged - bucket.credits_refunded,
  tts_characters: (bucket) => bucket.characters,
  request_count: (bucket) => bucket.requests,
  minutes_used: (bucket) => bucket.audio_seconds / 60,
};

const INTERVALS = ['hour', 'day', 'month', 'cumulative'] as const;
type Interval = (typeof INTERVALS)[number];

/** A checked `GET /v1/usage/character-stats`: the usage query to run, and how to shape its answer. */
export interface CharacterStatsQuery {
  usage: UsageQuery;
  cumulative: boolean;
  breakdown: UsageDimension | undefined;
  metric: (bucket: UsageBucket) => number;
}

function oneOf(value: unknown, allowed: readonly string[], field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && allowed.includes(value)) return value;
  throw new TtsError('invalid_request', `Input should be ${allowed.map((name) => `'${name}'`).join(', ')}`, {
    field,
    details: { type: 'enum', input: value },
  });
}

function unixMs(value: unknown, field: string): number {
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  throw new TtsError('invalid_request', value === undefined ? 'Field required' : 'Input should be a valid integer', {
    field,
    details: { type: value === undefined ? 'missing' : 'int_parsing', input: value },
  });
}

/**
 * ElevenLabs' query: `start_unix` and `end_unix` in milliseconds (the end taken as inclusive, to the
 * millisecond, as ElevenLabs' "23:59:59 of the last day" advice assumes), `aggregation_interval`
 * hour|day|month|cumulative (default day; `week` is not kept), `breakdown_type` none|voice|api_keys|
 * all_api_keys|model (the serving provider), `metric` credits (default)|tts_characters|request_count|minutes_used.
 */
export function parseCharacterStatsQuery(query: Record<string, unknown>): CharacterStatsQuery {
  const from = unixMs(query.start_unix, 'start_unix');
  const to = unixMs(query.end_unix, 'end_unix') + 1;
  if (to <= from) throw new TtsError('invalid_request', 'end_unix must not be before start_unix', { field: 'end_unix' });
  const interval = oneOf(query.aggregation_interval, INTERVALS, 'aggregation_interval', 'day') as Interval;
  const breakdown = BREAKDOWNS[oneOf(query.breakdown_type, Object.keys(BREAKDOWNS), 'breakdown_type', 'none')];
  const metric = METRICS[oneOf(query.metric, Object.keys(METRICS), 'metric', 'credits')];
  // A cumulative answer is one bucket over the whole range: the month buckets are summed into it.
  const usageInterval: UsageInterval = interval === 'cumulative' ? 'month' : interval;
  assertUsageSpan(new Date(from), new Date(to), usageInterval, { to: 'end_unix', interval: 'aggregation_interval' });
  return {
    usage: { from: new Date(from), to: new Date(to), interval: usageInterval, groupBy: breakdown ? [breakdown] : [] },
    cumulative: interval === 'cumulative',
    breakdown,
    metric,
  };
}

/** The name a bucket is listed under: "All" without a breakdown, as ElevenLabs writes it. */
function seriesName(bucket: UsageBucket, breakdown: UsageDimension | undefined): string {
  switch (breakdown) {
    case undefined:
      return 'All';
    case 'api_key':
      return bucket.api_key_name ?? bucket.api_key_id ?? 'unknown';
    default:
      return String(bucket[breakdown] ?? 'unknown');
  }
}

/**
 * ElevenLabs' answer: `time`, the start of every bucket of the range in Unix milliseconds (the first is
 * `start_unix` itself), and `usage`, one series per breakdown value with a figure for every time.
 */
export function toCharacterStats(report: UsageReport, query: CharacterStatsQuery): { time: number[]; usage: Record<string, number[]> } {
  const time = query.cumulative ? [query.usage.from.getTime()] : bucketStarts(report);
  const index = new Map(time.map((start, position) => [start, position]));
  const usage: Record<string, number[]> = {};
  if (!query.breakdown) usage.All = time.map(() => 0);
  for (const bucket of report.buckets) {
    const name = seriesName(bucket, query.breakdown);
    const series = (usage[name] ??= time.map(() => 0));
    const position = query.cumulative ? 0 : (index.get(Date.parse(bucket.start)) ?? 0);
    series[position] = Math.round((series[position] + query.metric(bucket)) * 1000) / 1000;
  }
  return { time, usage };
}

/** Every bucket's start from `from` to `to`: `from` itself, then each UTC period start after it. */
function bucketStarts(report: UsageReport): number[] {
  const from = new Date(report.from);
  const to = Date.parse(report.to);
  const periodStart =
    report.interval === 'month'
      ? new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1))
      : new Date(Math.floor(from.getTime() / PERIOD_MS[report.interval]) * PERIOD_MS[report.interval]);
  const starts = [from.getTime()];
  for (let next = nextBucket(periodStart, report.interval); next.getTime() < to; next = nextBucket(next, report.interval))
    starts.push(next.getTime());
  return starts;
}

const PERIOD_MS = { hour: 3_600_000, day: 86_400_000 } as const;
