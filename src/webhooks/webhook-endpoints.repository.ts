import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { WebhookEventType } from './webhook-events';

/** A tenant's receiver. `secret` is what signs; `previousSecret` signs too until it expires (rotation). */
export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  /** The first failed attempt since the last success: how long the endpoint has been failing. */
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointChanges {
  url?: string;
  events?: WebhookEventType[];
  description?: string | null;
  enabled?: boolean;
}

interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    description: row.description,
    events: row.events,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    failingSince: row.failing_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Every query on `webhook_endpoints`. A `tenantId` of undefined is the operator's view (CLI): any
 * tenant's endpoint by id. The api always passes the caller's tenant, so another tenant's endpoint is
 * simply not found.
 */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(endpoint: Pick<WebhookEndpoint, 'id' | 'tenantId' | 'url' | 'description' | 'events' | 'secret'>): Promise<WebhookEndpoint> {
    const [row] = await this.dataSource.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, events, secret) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [endpoint.id, endpoint.tenantId, endpoint.url, endpoint.description, endpoint.events, endpoint.secret],
    );
    return toEndpoint(row);
  }

  async countForTenant(tenantId: string): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE tenant_id = $1`, [tenantId]);
    return row.n;
  }

  async list(tenantId: string | undefined): Promise<WebhookEndpoint[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM webhook_endpoints WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY created_at, id`,
      [tenantId ?? null],
    );
    return rows.map(toEndpoint);
  }

  async find(tenantId: string | undefined, id: string): Promise<WebhookEndpoint | undefined> {
    const [row] = await this.dataSource.query(`SELECT * FROM webhook_endpoints WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)`, [
      id,
      tenantId ?? null,
    ]);
    return row ? toEndpoint(row) : undefined;
  }

  /** Deletes the endpoint and (cascade) its delivery log; false when there was none. */
  async delete(tenantId: string | undefined, id: string): Promise<boolean> {
    const [rows] = await this.dataSource.query(
      `DELETE FROM webhook_endpoints WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) RETURNING id`,
      [id, tenantId ?? null],
    );
    return rows.length > 0;
  }

  /**
   * The new secret signs from now on; the current one becomes the previous one and keeps signing for
   * `graceSeconds` (none when 0). A secret rotated out earlier is dropped: at most two sign at once.
   */
  async rotateSecret(tenantId: string | undefined, id: string, secret: string, graceSeconds: number): Promise<WebhookEndpoint | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_endpoints
          SET previous_secret = CASE WHEN $4 > 0 THEN secret END,
              previous_secret_expires_at = CASE WHEN $4 > 0 THEN now() + make_interval(secs => $4) END,
              secret = $3, updated_at = now()
        WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) RETURNING *`,
      [id, tenantId ?? null, secret, graceSeconds],
    );
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  /** Applies the given changes; enabling clears the disabled reason and the failure streak. */
  async update(tenantId: string | undefined, id: string, changes: EndpointChanges): Promise<WebhookEndpoint | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_endpoints
          SET url = COALESCE($3, url),
              events = COALESCE($4, events),
              description = CASE WHEN $5 THEN $6 ELSE description END,
              enabled = COALESCE($7, enabled),
              disabled_reason = CASE WHEN $7 IS TRUE THEN NULL WHEN $7 IS FALSE THEN COALESCE(disabled_reason, 'disabled by the tenant') ELSE disabled_reason END,
              disabled_at = CASE WHEN $7 IS TRUE THEN NULL WHEN $7 IS FALSE THEN COALESCE(disabled_at, now()) ELSE disabled_at END,
              failing_since = CASE WHEN $7 IS TRUE THEN NULL ELSE failing_since END,
              updated_at = now()
        WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) RETURNING *`,
      [
        id,
        tenantId ?? null,
        changes.url ?? null,
        changes.events ?? null,
        changes.description !== undefined,
        changes.description ?? null,
        changes.enabled ?? null,
      ],
    );
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  /** A delivery succeeded: the failure streak ends. */
  async recordSuccess(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [id]);
  }

  /**
   * A delivery attempt failed: the streak starts (or goes on), and an endpoint failing for longer than
   * `disableAfterMs` is disabled with `reason`. Answers whether the endpoint is disabled now.
   */
  async recordFailure(id: string, disableAfterMs: number, reason: string): Promise<{ disabled: boolean }> {
    const [rows] = await this.dataSource.query(
      `UPDATE webhook_endpoints
          SET failing_since = COALESCE(failing_since, now()),
              enabled = enabled AND COALESCE(failing_since, now()) > now() - make_interval(secs => $2 / 1000.0),
              disabled_reason = CASE WHEN enabled AND COALESCE(failing_since, now()) <= now() - make_interval(secs => $2 / 1000.0)
                                     THEN $3 || ' (failing since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
                                     ELSE disabled_reason END,
              disabled_at = CASE WHEN enabled AND COALESCE(failing_since, now()) <= now() - make_interval(secs => $2 / 1000.0)
                                 THEN now() ELSE disabled_at END
        WHERE id = $1 RETURNING enabled`,
      [id, disableAfterMs, reason],
    );
    return { disabled: rows.length === 0 || rows[0].enabled === false };
  }

  /** Disabled at once (the receiver answered 410 Gone). */
  async disable(id: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1 AND enabled`,
      [id, reason],
    );
  }
}
