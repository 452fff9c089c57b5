import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ops dashboard: admin keys (made with the CLI, stored as SHA-256 like API keys), and the indexes
 * its polled queries need to stay fast with 100,000 jobs: failures newest first, a tenant's jobs by
 * time (top voices), jobs finished recently (status counts) and a tenant's ledger by time (spend).
 */
export class AdminDashboard1763860000000 implements MigrationInterface {
  name = 'AdminDashboard1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE admin_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key_hash char(64) NOT NULL CONSTRAINT admin_keys_key_hash_unique UNIQUE,
        prefix varchar(32) NOT NULL,
        name varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX synthesis_jobs_failures ON synthesis_jobs (completed_at DESC) WHERE error_code IS NOT NULL AND status IN ('failed', 'expired')`,
    );
    await queryRunner.query(`CREATE INDEX synthesis_jobs_completed_at ON synthesis_jobs (completed_at) WHERE completed_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX synthesis_jobs_tenant_created ON synthesis_jobs (tenant_id, created_at)`);
    await queryRunner.query(`CREATE INDEX credit_ledger_tenant_created ON credit_ledger (tenant_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX credit_ledger_tenant_created`);
    await queryRunner.query(`DROP INDEX synthesis_jobs_tenant_created`);
    await queryRunner.query(`DROP INDEX synthesis_jobs_completed_at`);
    await queryRunner.query(`DROP INDEX synthesis_jobs_failures`);
    await queryRunner.query(`DROP TABLE admin_keys`);
  }
}
