import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CreditsService } from '../billing/credits.service';
import { RESULT_STORE, ResultStore } from '../storage/result-store';
import type { SynthesisOutcome } from '../synthesis/synthesis.service';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { SynthesisJobEntity } from './synthesis-job.entity';

/**
 * The state changes of a job, each one transaction that moves the row, the credits and the result
 * together. Every change is conditional on the current status, so a job that runs twice (a crash,
 * a stalled lock) still ends with one result and one settle.
 */
@Injectable()
export class JobOutcomes {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESULT_STORE) private readonly results: ResultStore,
    private readonly credits: CreditsService,
    private readonly webhookOutbox: WebhookOutbox,
  ) {}

  /** Marks the job running; undefined when it is already finished, expired or unknown. */
  async start(jobId: string): Promise<SynthesisJobEntity | undefined> {
    const [rows] = await this.dataSource.query(
      `UPDATE synthesis_jobs SET status = 'running', started_at = COALESCE(started_at, now()), attempts = attempts + 1
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [jobId],
    );
    if (rows.length === 0) return undefined;
    return this.dataSource.getRepository(SynthesisJobEntity).findOneByOrFail({ id: jobId });
  }

  async succeed(job: SynthesisJobEntity, outcome: Omit<SynthesisOutcome, 'credits'>): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query(
        `UPDATE synthesis_jobs SET status = 'succeeded', provider = $2, model = $3, routing_attempts = $4::jsonb,
                error_code = NULL, error_message = NULL, completed_at = now(),
                expires_at = now() + make_interval(secs => result_ttl_seconds)
          WHERE id = $1 AND status = 'running' RETURNING id`,
        [job.id, outcome.provider, outcome.model ?? null, JSON.stringify(outcome.attempts)],
      );
      if (rows.length === 0) return false;
      await this.results.save(
        job.id,
        {
          audio: outcome.audio.bytes,
          contentType: outcome.audio.contentType,
          format: outcome.audio.format,
          durationSeconds: outcome.audio.durationSeconds,
          sampleRate: outcome.audio.sampleRate,
          ...(outcome.segments ? { segments: outcome.segments } : {}),
        },
        manager,
      );
      await this.credits.settle(job.id, job.credits, manager);
      await this.webhookOutbox.recordJobEvent(manager, 'job.succeeded', [{ id: job.id, tenantId: job.tenantId }]);
      return true;
    });
  }

  /** Fails a queued or running job and releases its credits. */
  async fail(jobId: string, code: string, message: string, attempts?: unknown): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query(
        `UPDATE synthesis_jobs SET status = 'failed', error_code = $2, error_message = $3,
                routing_attempts = COALESCE($4::jsonb, routing_attempts), completed_at = now(),
                expires_at = now() + make_interval(secs => result_ttl_seconds)
          WHERE id = $1 AND status IN ('queued', 'running') RETURNING id, tenant_id`,
        [jobId, code, message, attempts === undefined ? null : JSON.stringify(attempts)],
      );
      if (rows.length === 0) return false;
      await this.credits.release(jobId, manager);
      await this.webhookOutbox.recordJobEvent(manager, 'job.failed', [{ id: jobId, tenantId: rows[0].tenant_id }]);
      return true;
    });
  }

  /** A transient failure that BullMQ will retry: the job waits, `queued`, with the last error visible. */
  async retryLater(jobId: string, code: string, message: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE synthesis_jobs SET status = 'queued', error_code = $2, error_message = $3 WHERE id = $1 AND status = 'running'`,
      [jobId, code, message],
    );
  }
}
