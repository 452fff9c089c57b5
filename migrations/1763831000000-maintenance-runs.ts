import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each periodic maintenance task last started, and on which worker. Every worker process keeps
 * its own timer (so maintenance survives Redis losing its state); a worker runs a task only if it
 * wins the conditional UPDATE of that task's row, so several workers run it about once per interval.
 */
export class MaintenanceRuns1763831000000 implements MigrationInterface {
  name = 'MaintenanceRuns1763831000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE maintenance_runs (
        task varchar(64) PRIMARY KEY,
        started_at timestamptz NOT NULL,
        started_by varchar(200) NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE maintenance_runs`);
  }
}
