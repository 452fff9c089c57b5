import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763780000000 implements MigrationInterface {
  name = 'Foundation1763780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        credit_balance bigint NOT NULL DEFAULT 0 CONSTRAINT tenants_credit_balance_non_negative CHECK (credit_balance >= 0),
        rate_limit_requests_per_minute integer CHECK (rate_limit_requests_per_minute > 0),
        rate_limit_job_creates_per_minute integer CHECK (rate_limit_job_creates_per_minute > 0),
        rate_limit_job_polls_per_minute integer CHECK (rate_limit_job_polls_per_minute > 0),
        max_active_jobs integer CHECK (max_active_jobs > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key_hash char(64) NOT NULL CONSTRAINT api_keys_key_hash_unique UNIQUE,
        prefix varchar(32) NOT NULL,
        name varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_id ON api_keys (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE credit_ledger (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL CHECK (kind IN ('topup', 'reserve', 'settle', 'release')),
        amount bigint NOT NULL,
        reference varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT credit_ledger_reference_kind_unique UNIQUE (reference, kind)
      )`);
    // A reservation ends exactly once: settled or released, never both.
    await queryRunner.query(
      `CREATE UNIQUE INDEX credit_ledger_one_outcome ON credit_ledger (reference) WHERE kind IN ('settle', 'release')`,
    );
    await queryRunner.query(`CREATE INDEX credit_ledger_tenant_id ON credit_ledger (tenant_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE credit_ledger`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
