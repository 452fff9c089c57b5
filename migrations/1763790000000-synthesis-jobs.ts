import { MigrationInterface, QueryRunner } from 'typeorm';

export class SynthesisJobs1763790000000 implements MigrationInterface {
  name = 'SynthesisJobs1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE synthesis_jobs (
        id varchar(40) PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        face varchar(16) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'expired')),
        request jsonb NOT NULL,
        request_hash char(64) NOT NULL,
        idempotency_key varchar(255),
        provider varchar(100),
        model varchar(200),
        attempts integer NOT NULL DEFAULT 0,
        routing_attempts jsonb,
        error_code varchar(64),
        error_message text,
        characters integer NOT NULL,
        credits bigint NOT NULL,
        result_ttl_seconds integer NOT NULL CHECK (result_ttl_seconds > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        expires_at timestamptz
      )`);
    // Stripe's semantics: a key names one request per tenant; the sweeper frees keys after 24 h.
    await queryRunner.query(
      `CREATE UNIQUE INDEX synthesis_jobs_idempotency ON synthesis_jobs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX synthesis_jobs_active ON synthesis_jobs (tenant_id) WHERE status IN ('queued', 'running')`);
    await queryRunner.query(`CREATE INDEX synthesis_jobs_queued_created ON synthesis_jobs (created_at) WHERE status = 'queued'`);
    await queryRunner.query(`CREATE INDEX synthesis_jobs_expiry ON synthesis_jobs (expires_at) WHERE status IN ('succeeded', 'failed')`);
    await queryRunner.query(`
      CREATE TABLE job_results (
        job_id varchar(40) PRIMARY KEY REFERENCES synthesis_jobs(id) ON DELETE CASCADE,
        audio bytea NOT NULL,
        content_type varchar(100) NOT NULL,
        format varchar(8) NOT NULL,
        duration_seconds double precision NOT NULL,
        sample_rate integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_results`);
    await queryRunner.query(`DROP TABLE synthesis_jobs`);
  }
}
