import { MigrationInterface, QueryRunner } from 'typeorm';

/** Sentence timestamps of a job's audio (Bifrost `with_timestamps`), deleted with the audio at expiry. */
export class JobResultSegments1763800000000 implements MigrationInterface {
  name = 'JobResultSegments1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE job_results ADD COLUMN segments jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE job_results DROP COLUMN segments`);
  }
}
