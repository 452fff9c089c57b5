import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Completion webhooks. `webhook_endpoints` are a tenant's receivers with their signing secrets (the
 * previous one kept until `previous_secret_expires_at` after a rotation). `webhook_deliveries` is the
 * outbox: a row per (event, endpoint), written in the transaction that finishes the job, whose id is
 * the `webhook-id` every attempt carries.
 */
export class Webhooks1763840000000 implements MigrationInterface {
  name = 'Webhooks1763840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id varchar(40) PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url text NOT NULL,
        description varchar(200),
        events text[] NOT NULL,
        secret varchar(100) NOT NULL,
        previous_secret varchar(100),
        previous_secret_expires_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id varchar(40) PRIMARY KEY,
        endpoint_id varchar(40) NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        event_type varchar(40) NOT NULL,
        job_id varchar(40) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        schedule_base integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_one_per_event UNIQUE (endpoint_id, job_id, event_type)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_deliveries_endpoint_created ON webhook_deliveries (endpoint_id, created_at DESC)`);
    // What the relay scans: pending rows by when they are due.
    await queryRunner.query(`CREATE INDEX webhook_deliveries_pending_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
  }
}
