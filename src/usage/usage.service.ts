import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TtsError } from '../common/tts-error';
import { UsageInterval, UsageQuery } from './usage-query';
import { UsageGrouping, UsageFigures, UsageRepository, UsageRow } from './usage.repository';

export type { UsageFigures };

/** One bucket: its part of the range (UTC, start inclusive, end exclusive) and the attribution asked for. */
export interface UsageBucket extends UsageGrouping, UsageFigures {
  start: string;
  end: string;
}

export interface UsageReport {
  from: string;
  to: string;
  interval: UsageInterval;
  group_by: string[];
  buckets: UsageBucket[];
  totals: UsageFigures;
  low_balance: {
    threshold: number | null;
    /** Whether the balance is below the threshold now (recorded, not re-armed by a top-up yet). */
    below: boolean;
    crossings: Array<{ crossed_at: string; threshold: number; balance: number }>;
  };
}

const FIGURES: Array<keyof UsageFigures> = [
  'requests',
  'failures',
  'cancelled',
  'characters',
  'audio_seconds',
  'credits_charged',
  'credits_refunded',
  'cache_hits',
];

/** The next UTC period after `start`. */
export function nextBucket(start: Date, interval: UsageInterval): Date {
  switch (interval) {
    case 'hour':
      return new Date(start.getTime() + 3_600_000);
    case 'day':
      return new Date(start.getTime() + 86_400_000);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** A tenant's usage by period and attribution, for `GET /v1/usage` and the CLI's `usage`. */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async report(tenantId: string, query: UsageQuery): Promise<UsageReport> {
    const [rows, crossings, tenant] = await Promise.all([
      this.usage.report(tenantId, query),
      this.usage.lowBalanceCrossings(tenantId, query.from, query.to),
      this.dataSource.query(`SELECT low_balance_threshold, low_balance_alerted FROM tenants WHERE id = $1`, [tenantId]),
    ]);
    if (tenant.length === 0) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    const buckets = rows.map((row) => this.bucket(row, query));
    const totals = Object.fromEntries(FIGURES.map((figure) => [figure, 0])) as unknown as UsageFigures;
    for (const bucket of buckets) for (const figure of FIGURES) totals[figure] += bucket[figure];
    totals.audio_seconds = Math.round(totals.audio_seconds * 1000) / 1000;
    const threshold = tenant[0].low_balance_threshold === null ? null : Number(tenant[0].low_balance_threshold);
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      interval: query.interval,
      group_by: query.groupBy,
      buckets,
      totals,
      low_balance: {
        threshold,
        below: threshold !== null && tenant[0].low_balance_alerted === true,
        crossings: crossings.map((crossing) => ({ ...crossing, crossed_at: crossing.crossed_at.toISOString() })),
      },
    };
  }

  private bucket(row: UsageRow, query: UsageQuery): UsageBucket {
    const { bucket, ...rest } = row;
    const start = bucket.getTime() < query.from.getTime() ? query.from : bucket;
    const next = nextBucket(bucket, query.interval);
    const end = next.getTime() > query.to.getTime() ? query.to : next;
    return { start: start.toISOString(), end: end.toISOString(), ...rest };
  }
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report's buckets as CSV: one header line, then one line per bucket (the same rows as the JSON). */
export function usageCsv(report: UsageReport): string {
  const dimensions: string[] = [];
  for (const name of report.group_by) {
    if (name === 'api_key') dimensions.push('api_key_id', 'api_key_name');
    else dimensions.push(name);
  }
  const columns = ['start', 'end', ...dimensions, ...FIGURES];
  const lines = [columns.join(',')];
  for (const bucket of report.buckets)
    lines.push(columns.map((column) => csvField((bucket as unknown as Record<string, unknown>)[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
