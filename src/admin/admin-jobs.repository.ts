import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AttemptRecord } from '../synthesis/speech.types';

export interface JobStatusCounts {
  queued: number;
  running: number;
  oldest_queued_seconds: number | null;
  last_hour: { succeeded: number; failed: number };
  last_day: { succeeded: number; failed: number };
}

export interface FailedJobRow {
  id: string;
  tenant_id: string;
  tenant_name: string;
  face: string;
  route: string;
  status: string;
  error_code: string;
  error_message: string | null;
  routing_attempts: AttemptRecord[] | null;
  attempts: number;
  characters: number;
  completed_at: Date;
}

export interface FailureFilter {
  code?: string;
  provider?: string;
  tenantId?: string;
  limit: number;
}

export interface VoiceUsageRow {
  tenant_id: string;
  voice: string;
  jobs: number;
  characters: number;
}

/**
 * The dashboard's reads of `synthesis_jobs`, each served by an index of migration AdminDashboard:
 * finished jobs by completion time, failures newest first, a tenant's jobs by creation time.
 * A job that succeeded has no error code (also once expired), one that failed keeps its code.
 */
@Injectable()
export class AdminJobsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async statusCounts(): Promise<JobStatusCounts> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM synthesis_jobs WHERE status = 'queued')::int AS queued,
              (SELECT count(*) FROM synthesis_jobs WHERE status = 'running')::int AS running,
              (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM synthesis_jobs WHERE status = 'queued')::float8 AS oldest_queued_seconds,
              f.*
         FROM (SELECT count(*) FILTER (WHERE error_code IS NULL AND completed_at > now() - interval '1 hour')::int AS hour_succeeded,
                      count(*) FILTER (WHERE error_code IS NOT NULL AND completed_at > now() - interval '1 hour')::int AS hour_failed,
                      count(*) FILTER (WHERE error_code IS NULL)::int AS day_succeeded,
                      count(*) FILTER (WHERE error_code IS NOT NULL)::int AS day_failed
                 FROM synthesis_jobs WHERE completed_at > now() - interval '1 day' AND status IN ('succeeded', 'failed', 'expired')) f`,
    );
    return {
      queued: row.queued,
      running: row.running,
      oldest_queued_seconds: row.oldest_queued_seconds === null ? null : Math.round(row.oldest_queued_seconds * 10) / 10,
      last_hour: { succeeded: row.hour_succeeded, failed: row.hour_failed },
      last_day: { succeeded: row.day_succeeded, failed: row.day_failed },
    };
  }

  /** The newest failed jobs (also those expired since), optionally of one code, provider tried or tenant. */
  recentFailures(filter: FailureFilter): Promise<FailedJobRow[]> {
    const conditions = [`j.error_code IS NOT NULL`, `j.status IN ('failed', 'expired')`];
    const parameters: unknown[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      parameters.push(value);
      conditions.push(condition(`$${parameters.length}`));
    };
    if (filter.code) add((p) => `j.error_code = ${p}`, filter.code);
    if (filter.tenantId) add((p) => `j.tenant_id = ${p}`, filter.tenantId);
    if (filter.provider) add((p) => `j.routing_attempts @> ${p}::jsonb`, JSON.stringify([{ provider: filter.provider }]));
    parameters.push(filter.limit);
    return this.dataSource.query(
      `SELECT j.id, j.tenant_id, t.name AS tenant_name, j.face, j.request->>'route' AS route, j.status, j.error_code, j.error_message,
              j.routing_attempts, j.attempts, j.characters, j.completed_at
         FROM synthesis_jobs j JOIN tenants t ON t.id = j.tenant_id
        WHERE ${conditions.join(' AND ')}
        ORDER BY j.completed_at DESC LIMIT $${parameters.length}`,
      parameters,
    );
  }

  /** Jobs per tenant and voice created since `since` (for "top voices"). */
  voiceUsage(tenantIds: string[], since: Date): Promise<VoiceUsageRow[]> {
    if (tenantIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT tenant_id, request->>'route' AS voice, count(*)::int AS jobs, sum(characters)::int AS characters
         FROM synthesis_jobs WHERE tenant_id = ANY($1::uuid[]) AND created_at >= $2
        GROUP BY tenant_id, request->>'route'`,
      [tenantIds, since],
    );
  }
}
