import type { CacheStatus } from '../synthesis/cache/audio-cache.types';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AttemptRecord } from '../synthesis/speech.types';
import type { FailedJobRow, FailureFilter, JobStatusCounts, VoiceUsageRow } from './synthesis-job.reports';
import { SynthesisJobEntity } from './synthesis-job.entity';

/** What create_synthesis_job() answers: the row's creation time, or null when the active-job cap refused it. */
export interface JobInsertOutcome {
  createdAt: Date | null;
  active: number;
  activeLimit: number;
}

/** Who served a finished job, written with its `succeeded` state. */
export interface JobServed {
  provider: string;
  model: string | null;
  attempts: AttemptRecord[];
  /** Whether the audio came from the audio cache. */
  cache: CacheStatus;
  /** Credits the job was charged (its reservation, or the hit price). */
  charged: number;
}

/** A job row that is not finished: what the relay looks at. */
export interface UnfinishedJob {
  id: string;
  status: 'queued' | 'running';
}

export interface JobTimingQuantiles {
  wait: [number, number] | null;
  run: [number, number] | null;
}

/**
 * Every statement on `synthesis_jobs`. A status or column change is made here and nowhere else.
 * State changes are conditional on the current status (`… WHERE status IN (…)`) and report whether
 * they moved the row, so a job that runs twice still finishes once. Methods that take an
 * `EntityManager` join the caller's transaction (the result, the credits and the row move together).
 */
@Injectable()
export class SynthesisJobRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The row and its credit reservation in one statement (create_synthesis_job, migration
   * CreateJobFunction): it locks the tenant row, so that tenant's creations are serialised and the
   * active-job cap is exact. Raises SC404 (no tenant), SC402 (credits) or 23505 (idempotency key taken).
   */
  async insertWithReservation(
    job: SynthesisJobEntity,
    defaultMaxActiveJobs: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<JobInsertOutcome> {
    const rows: Array<{ created_at: Date | null; active: number; active_limit: number }> = await manager.query(
      `SELECT created_at, active, active_limit FROM create_synthesis_job($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        job.id,
        job.tenantId,
        job.face,
        JSON.stringify(job.request),
        job.requestHash,
        job.idempotencyKey,
        job.characters,
        job.credits,
        job.resultTtlSeconds,
        defaultMaxActiveJobs,
        job.apiKeyId,
      ],
    );
    const [{ created_at: createdAt, active, active_limit: activeLimit }] = rows;
    return { createdAt, active, activeLimit };
  }

  findByIdempotencyKey(
    tenantId: string,
    key: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SynthesisJobEntity | null> {
    return manager.getRepository(SynthesisJobEntity).findOneBy({ tenantId, idempotencyKey: key });
  }

  /**
   * Runs `work` in a transaction that holds a lock on this tenant's Idempotency-Key (an advisory
   * transaction lock on a hash of both), so concurrent creates with one key run one after another:
   * the first creates the job, the others find it. Committed when `work` resolves.
   */
  withIdempotencyKeyLock<T>(tenantId: string, key: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`synthesis_jobs.idempotency_key:${tenantId}:${key}`]);
      return work(manager);
    });
  }

  /** The job when it belongs to `tenantId`; null for an unknown id and for another tenant's job alike. */
  findOfTenant(tenantId: string, id: string): Promise<SynthesisJobEntity | null> {
    return this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ id, tenantId });
  }

  findById(id: string): Promise<SynthesisJobEntity | null> {
    return this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ id });
  }

  async activeCounts(tenantId: string): Promise<{ queued: number; running: number }> {
    const rows = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status = 'running')::int AS running
         FROM synthesis_jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
      [tenantId],
    );
    return { queued: rows[0].queued, running: rows[0].running };
  }

  /** `queued` or `running` → `running`, one more attempt; undefined when the job is finished, expired or unknown. */
  async markRunning(id: string): Promise<SynthesisJobEntity | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE synthesis_jobs SET status = 'running', started_at = COALESCE(started_at, now()), attempts = attempts + 1
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id],
    );
    if (rows.length === 0) return undefined;
    return (await this.findById(id)) ?? undefined;
  }

  /** `running` → `succeeded`, its expiry counted from now; false when another run finished it first. */
  async markSucceeded(manager: EntityManager, id: string, served: JobServed): Promise<boolean> {
    const [rows] = await manager.query(
      `UPDATE synthesis_jobs SET status = 'succeeded', provider = $2, model = $3, routing_attempts = $4::jsonb,
              cache_status = $5, credits_charged = $6,
              error_code = NULL, error_message = NULL, completed_at = now(),
              expires_at = now() + make_interval(secs => result_ttl_seconds)
        WHERE id = $1 AND status = 'running' RETURNING id`,
      [id, served.provider, served.model, JSON.stringify(served.attempts), served.cache, served.charged],
    );
    return rows.length > 0;
  }

  /** `queued` or `running` → `failed` with a code; its tenant, or undefined when the job had already finished. */
  async markFailed(manager: EntityManager, id: string, code: string, message: string, attempts?: unknown): Promise<string | undefined> {
    const [rows] = await manager.query(
      `UPDATE synthesis_jobs SET status = 'failed', error_code = $2, error_message = $3,
              routing_attempts = COALESCE($4::jsonb, routing_attempts), completed_at = now(),
              expires_at = now() + make_interval(secs => result_ttl_seconds)
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING tenant_id`,
      [id, code, message, attempts === undefined ? null : JSON.stringify(attempts)],
    );
    return rows[0]?.tenant_id;
  }

  /** `running` → `queued` with the last error visible, while the queue holds the job for a later attempt. */
  async markQueuedForRetry(id: string, code: string, message: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE synthesis_jobs SET status = 'queued', error_code = $2, error_message = $3 WHERE id = $1 AND status = 'running'`,
      [id, code, message],
    );
  }

  /**
   * Finished jobs past expires_at → `expired`. The UPDATE takes the row locks, so two sweeps at once
   * expire each job exactly once; the caller deletes the results of the ids returned.
   */
  async expireFinished(manager: EntityManager): Promise<Array<{ id: string; tenantId: string }>> {
    const [rows] = await manager.query(
      `UPDATE synthesis_jobs SET status = 'expired' WHERE status IN ('succeeded', 'failed') AND expires_at <= now() RETURNING id, tenant_id`,
    );
    return rows.map((row: { id: string; tenant_id: string }) => ({ id: row.id, tenantId: row.tenant_id }));
  }

  async runningLongerThan(seconds: number): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM synthesis_jobs WHERE status = 'running' AND started_at < now() - make_interval(secs => $1)`,
      [seconds],
    );
    return rows.map((row: { id: string }) => row.id);
  }

  /** Frees the Idempotency-Keys of jobs created more than `hours` ago; returns how many. */
  async releaseIdempotencyKeysOlderThan(hours: number): Promise<number> {
    const [rows] = await this.dataSource.query(
      `UPDATE synthesis_jobs SET idempotency_key = NULL
        WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(hours => $1) RETURNING id`,
      [hours],
    );
    return rows.length;
  }

  /** Queued and running jobs created more than `ageMs` ago, oldest first. */
  async unfinishedOlderThan(ageMs: number, limit: number): Promise<UnfinishedJob[]> {
    return this.dataSource.query(
      `SELECT id, status FROM synthesis_jobs WHERE status IN ('queued', 'running') AND created_at < now() - make_interval(secs => $1 / 1000.0)
        ORDER BY created_at LIMIT $2`,
      [ageMs, limit],
    );
  }

  async countsByStatus(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; n: number }> = await this.dataSource.query(
      `SELECT status, count(*)::int AS n FROM synthesis_jobs GROUP BY status`,
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async oldestQueuedAgeSeconds(): Promise<number> {
    const rows = await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS age FROM synthesis_jobs WHERE status = 'queued'`,
    );
    return Number(rows[0].age);
  }

  /** p50 and p95 of queue wait and run time of jobs completed in the last `minutes`. */
  async timingQuantiles(minutes: number): Promise<JobTimingQuantiles> {
    const rows = await this.dataSource.query(
      `SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) AS wait,
              percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - started_at)) AS run
         FROM synthesis_jobs WHERE completed_at > now() - make_interval(mins => $1) AND started_at IS NOT NULL`,
      [minutes],
    );
    return { wait: rows[0].wait, run: rows[0].run };
  }

  async recentFailuresByCode(minutes: number): Promise<Array<{ code: string; count: number }>> {
    const rows: Array<{ error_code: string; n: number }> = await this.dataSource.query(
      `SELECT error_code, count(*)::int AS n FROM synthesis_jobs
        WHERE status = 'failed' AND completed_at > now() - make_interval(mins => $1) GROUP BY error_code`,
      [minutes],
    );
    return rows.map((row) => ({ code: row.error_code, count: row.n }));
  }

  // The dashboard's reads (AdminJobsRepository until these lived here), each served by an index of
  // migration AdminDashboard: finished jobs by completion time, failures newest first, a tenant's jobs by
  // creation time. A job that succeeded has no error code (also once expired), one that failed keeps its code.

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
