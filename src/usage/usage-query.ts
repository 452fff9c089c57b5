import { TtsError } from '../common/tts-error';

export const USAGE_INTERVALS = ['hour', 'day', 'month'] as const;
export type UsageInterval = (typeof USAGE_INTERVALS)[number];

export const USAGE_DIMENSIONS = ['api_key', 'voice', 'provider', 'face', 'status'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/** A checked usage question: [from, to) in UTC instants, UTC buckets of `interval`, rows split by `groupBy`. */
export interface UsageQuery {
  from: Date;
  to: Date;
  interval: UsageInterval;
  groupBy: UsageDimension[];
}

/** Longest range one query may cover: a year and a day (a leap year's worth of daily buckets and then some). */
const MAX_RANGE_MS = 367 * 86_400_000;
/** An hourly report is for inspecting days, not years: 93 days of hours. */
const MAX_HOURLY_RANGE_MS = 93 * 86_400_000;

/** The longest range of a usage query (a year and a day; 93 days of hours): `fields` names the client's own fields. */
export function assertUsageSpan(from: Date, to: Date, interval: UsageInterval, fields: { to: string; interval: string }): void {
  const span = to.getTime() - from.getTime();
  if (span > MAX_RANGE_MS)
    throw new TtsError('invalid_request', 'A usage query covers at most 367 days; ask for several.', { field: fields.to });
  if (interval === 'hour' && span > MAX_HOURLY_RANGE_MS)
    throw new TtsError('invalid_request', 'Hourly buckets cover at most 93 days; use a daily interval for longer ranges.', {
      field: fields.interval,
    });
}

/** ISO 8601: a date, or a date and time with a `Z` or `±hh:mm` offset (a time without one would be ambiguous). */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** An ISO 8601 instant; a bare date is midnight UTC. */
export function parseInstant(value: string, field: string): Date {
  const match = ISO_INSTANT.exec(value);
  const parsed = match ? new Date(match[4] === undefined ? `${value}T00:00:00Z` : value) : undefined;
  if (!match || !parsed || Number.isNaN(parsed.getTime()) || !sameCalendarDate(match, parsed, value))
    throw new TtsError(
      'invalid_request',
      `${field} must be an ISO 8601 date (2026-03-01, midnight UTC) or date-time with an offset (2026-03-01T00:00:00Z, 2026-03-01T03:00:00+03:00).`,
      { field },
    );
  return parsed;
}

/** JavaScript rolls 2026-02-30 over to 2 March: the written date must survive the trip. */
function sameCalendarDate(match: RegExpExecArray, parsed: Date, value: string): boolean {
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const offset = match[7];
  // Read the written date back in the offset it was written in.
  const minutes =
    !offset || offset === 'Z' ? 0 : (offset[0] === '-' ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(-2)));
  const local = new Date(parsed.getTime() + minutes * 60_000);
  const hour = match[4] === undefined ? 0 : Number(match[4]);
  return (
    value.length > 0 &&
    local.getUTCFullYear() === year &&
    local.getUTCMonth() + 1 === month &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    Number(match[5] ?? 0) < 60 &&
    Number(match[6] ?? 0) < 60
  );
}

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new TtsError('invalid_request', `${field} must be one of ${allowed.join(', ')}; got '${value}'.`, { field });
}

function single(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.trim();
  throw new TtsError('invalid_request', `${field} may be given once.`, { field });
}

/**
 * The query string of `GET /v1/usage` (and the CLI's options): `from` (inclusive) and `to`
 * (exclusive) as ISO 8601 instants, default the start of the current UTC month and now;
 * `interval` hour|day|month (default day); `group_by` a comma-separated list or repeated.
 */
export function parseUsageQuery(input: Record<string, unknown>, now = new Date()): UsageQuery {
  const fromText = single(input.from, 'from');
  const toText = single(input.to, 'to');
  const from = fromText ? parseInstant(fromText, 'from') : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = toText ? parseInstant(toText, 'to') : now;
  if (to.getTime() <= from.getTime())
    throw new TtsError('invalid_request', '`to` must be later than `from` (`to` is exclusive).', { field: 'to' });
  const interval = oneOf(single(input.interval, 'interval') || 'day', USAGE_INTERVALS, 'interval');
  assertUsageSpan(from, to, interval, { to: 'to', interval: 'interval' });
  const groupInput = input.group_by;
  const groupTexts = groupInput === undefined ? [] : Array.isArray(groupInput) ? groupInput : [groupInput];
  const groupBy: UsageDimension[] = [];
  for (const text of groupTexts) {
    if (typeof text !== 'string') throw new TtsError('invalid_request', 'group_by must be a list of names.', { field: 'group_by' });
    for (const name of text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const dimension = oneOf(name, USAGE_DIMENSIONS, 'group_by');
      if (!groupBy.includes(dimension)) groupBy.push(dimension);
    }
  }
  return { from, to, interval, groupBy };
}
