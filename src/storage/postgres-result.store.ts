import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AudioFormat } from '../synthesis/synthesis-request';
import type { ResultStore, StoredResult } from './result-store';

/** The default ResultStore: audio bytes in `job_results`, removed with the job's expiry. */
@Injectable()
export class PostgresResultStore implements ResultStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async save(jobId: string, result: StoredResult, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO job_results (job_id, audio, content_type, format, duration_seconds, sample_rate, segments) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
       ON CONFLICT (job_id) DO UPDATE SET audio = EXCLUDED.audio, content_type = EXCLUDED.content_type, format = EXCLUDED.format,
         duration_seconds = EXCLUDED.duration_seconds, sample_rate = EXCLUDED.sample_rate, segments = EXCLUDED.segments`,
      [
        jobId,
        result.audio,
        result.contentType,
        result.format,
        result.durationSeconds,
        result.sampleRate,
        result.segments ? JSON.stringify(result.segments) : null,
      ],
    );
  }

  async load(jobId: string): Promise<StoredResult | undefined> {
    const rows = await this.dataSource.query(
      `SELECT audio, content_type, format, duration_seconds, sample_rate, segments FROM job_results WHERE job_id = $1`,
      [jobId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      audio: row.audio as Buffer,
      contentType: row.content_type,
      format: row.format as AudioFormat,
      durationSeconds: Number(row.duration_seconds),
      sampleRate: Number(row.sample_rate),
      ...(row.segments ? { segments: row.segments } : {}),
    };
  }

  async delete(jobIds: string[], manager: EntityManager = this.dataSource.manager): Promise<number> {
    if (jobIds.length === 0) return 0;
    const [, deleted] = await manager.query(`DELETE FROM job_results WHERE job_id = ANY($1::varchar[])`, [jobIds]);
    return Number(deleted);
  }
}
