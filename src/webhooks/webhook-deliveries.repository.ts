import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { FinishedJobReference, WebhookEventType } from './webhook-events';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint: its id is the `webhook-id` of every attempt. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  tenantId: string;
  eventType: WebhookEventType;
  jobId: string;
  status: DeliveryStatus;
  attempts: number;
  /** Attempts made before the last manual retry: the retry schedule starts again after them. */
  scheduleBase: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** A delivery claimed for an attempt, with what the attempt needs of its endpoint. */
export interface ClaimedDelivery extends WebhookDelivery {
  endpoint: {
    url: string;
    secrets: string[];
    enabled: boolean;
    disabledReason: string | null;
    failing: boolean;
  };
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  tenant_id: string;
  event_type: WebhookEventType;
  job_id: string;
  status: DeliveryStatus;
  attempts: number;
  schedule_base: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    tenantId: row.tenant_id,
    eventType: row.event_type,
    jobId: row.job_id,
    status: row.status,
    attempts: row.attempts,
    scheduleBase: row.schedule_base,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}

/** Longest error text kept per delivery: the log explains, it does not archive. */
const ERROR_TEXT_LIMIT = 1000;

/** Every query on `webhook_deliveries` (the webhook outbox). */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One delivery per subscribed, enabled endpoint of each job's tenant, in the caller's transaction
   * (the one that gives the jobs their final state), due now. An event recorded twice for the same
   * endpoint (a job finished by two racing workers cannot be, but the sweep may re-run) is one row.
   */
  async insertForJobs(manager: EntityManager, eventType: WebhookEventType, jobs: FinishedJobReference[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, event_type, job_id, status, next_attempt_at)
       SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, e.tenant_id, $1, j.id, 'pending', now()
         FROM unnest($2::varchar[], $3::uuid[]) AS j(id, tenant_id)
         JOIN webhook_endpoints e ON e.tenant_id = j.tenant_id AND e.enabled AND $1 = ANY(e.events)
       ON CONFLICT (endpoint_id, job_id, event_type) DO NOTHING
       RETURNING id`,
      [eventType, jobs.map((job) => job.id), jobs.map((job) => job.tenantId)],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Takes a pending delivery for an attempt (counting it now: a worker killed mid-attempt may have
   * sent it) and returns it with its endpoint; undefined when it is no longer pending.
   */
  async claim(id: string): Promise<ClaimedDelivery | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = now()
         FROM webhook_endpoints e
        WHERE d.id = $1 AND d.status = 'pending' AND e.id = d.endpoint_id
        RETURNING d.*, e.url, e.enabled, e.disabled_reason, e.failing_since IS NOT NULL AS failing,
                  array_remove(ARRAY[e.secret, CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END], NULL) AS secrets`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...toDelivery(row),
      endpoint: { url: row.url, secrets: row.secrets, enabled: row.enabled, disabledReason: row.disabled_reason, failing: row.failing },
    };
  }

  async markDelivered(id: string, statusCode: number): Promise<Date> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL, next_attempt_at = NULL
        WHERE id = $1 RETURNING delivered_at`,
      [id, statusCode],
    );
    return rows[0]?.delivered_at ?? new Date();
  }

  async markRetry(id: string, statusCode: number | null, error: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET last_status_code = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
        WHERE id = $1 AND status = 'pending'`,
      [id, statusCode, error.slice(0, ERROR_TEXT_LIMIT), delayMs],
    );
  }

  async markFailed(id: string, statusCode: number | null, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_status_code = $2, last_error = $3, next_attempt_at = NULL WHERE id = $1`,
      [id, statusCode, error.slice(0, ERROR_TEXT_LIMIT)],
    );
  }

  /**
   * Pending again and due now, with the retry schedule starting over; the same id, so receivers
   * that already have it deduplicate. Undefined when the delivery is not this endpoint's.
   */
  async requeue(endpointId: string, id: string): Promise<WebhookDelivery | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), schedule_base = attempts
        WHERE id = $1 AND endpoint_id = $2 RETURNING *`,
      [id, endpointId],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  /** Newest first; `before` (a delivery id) continues a listing after its last row. */
  async listForEndpoint(
    endpointId: string,
    options: { limit: number; before?: string; status?: DeliveryStatus },
  ): Promise<WebhookDelivery[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM webhook_deliveries d
        WHERE d.endpoint_id = $1 AND ($3::varchar IS NULL OR d.status = $3)
          AND ($4::varchar IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $4 AND endpoint_id = $1))
        ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
      [endpointId, options.limit, options.status ?? null, options.before ?? null],
    );
    return rows.map(toDelivery);
  }

  async find(endpointId: string, id: string): Promise<WebhookDelivery | undefined> {
    const [row] = await this.dataSource.query(`SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`, [id, endpointId]);
    return row ? toDelivery(row) : undefined;
  }

  /** Pending deliveries due for at least `minAgeMs`: those whose queue entry may have been lost. */
  async overdue(minAgeMs: number, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() - make_interval(secs => $1 / 1000.0)
        ORDER BY next_attempt_at LIMIT $2`,
      [minAgeMs, limit],
    );
    return rows.map((row: { id: string }) => row.id);
  }

  /** Pending deliveries and how overdue the most overdue one is (for /metrics; the partial index keeps it cheap). */
  async pendingStatistics(): Promise<{ pending: number; mostOverdueSeconds: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0)::float8 AS oldest
         FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL`,
    );
    return { pending: row.pending, mostOverdueSeconds: Math.max(0, row.oldest) };
  }
}
