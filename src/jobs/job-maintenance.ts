import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { RESULT_STORE, ResultStore } from '../storage/result-store';
import { JobOutcomes } from './job-outcomes';
import { enqueueSynthesis, SynthesisJobData } from './job-queue';
import { SYNTHESIS_QUEUE } from './queue-names';
import { WebhookOutbox } from '../webhooks/webhook-outbox';

export interface SweepReport {
  expired: number;
  resultsDeleted: number;
  stalled: number;
  keysReleased: number;
}

const RELAY_BATCH = 500;

/** The worker's housekeeping: expiry sweep, stuck-job check, idempotency-key release, outbox relay. */
@Injectable()
export class JobMaintenance {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue<SynthesisJobData>,
    @Inject(RESULT_STORE) private readonly results: ResultStore,
    private readonly outcomes: JobOutcomes,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
    private readonly webhookOutbox: WebhookOutbox,
  ) {}

  /**
   * Finished jobs past expires_at become `expired` and lose their audio. The UPDATE takes the row
   * locks, so two sweepers running at once expire (and delete) each job exactly once.
   */
  async sweep(): Promise<SweepReport> {
    const { expired, resultsDeleted } = await this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query(
        `UPDATE synthesis_jobs SET status = 'expired' WHERE status IN ('succeeded', 'failed') AND expires_at <= now() RETURNING id, tenant_id`,
      );
      const ids = rows.map((row: { id: string }) => row.id);
      const resultsDeleted = await this.results.delete(ids, manager);
      const jobs = rows.map((row: { id: string; tenant_id: string }) => ({ id: row.id, tenantId: row.tenant_id }));
      await this.webhookOutbox.recordJobEvent(manager, 'job.expired', jobs);
      return { expired: ids.length, resultsDeleted };
    });
    const stalled = await this.failStalled();
    const [released] = await this.dataSource.query(
      `UPDATE synthesis_jobs SET idempotency_key = NULL
        WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(hours => $1) RETURNING id`,
      [this.config.jobs.idempotencyKeyTtlHours],
    );
    return { expired, resultsDeleted, stalled, keysReleased: released.length };
  }

  /** Jobs `running` for longer than the configured bound have lost their worker for good. */
  private async failStalled(): Promise<number> {
    const rows = await this.dataSource.query(
      `SELECT id FROM synthesis_jobs WHERE status = 'running' AND started_at < now() - make_interval(secs => $1)`,
      [this.config.jobs.runningTimeoutSeconds],
    );
    let failed = 0;
    for (const { id } of rows as Array<{ id: string }>) {
      const message = `The job was still running after ${this.config.jobs.runningTimeoutSeconds} s and was stopped.`;
      if (await this.outcomes.fail(id, 'job_stalled', message)) failed++;
    }
    return failed;
  }

  /**
   * The outbox relay: `queued` rows with no BullMQ job (a crash between commit and enqueue, Redis
   * flushed or restarted) are enqueued again. Enqueueing is idempotent by job id.
   */
  async relay(): Promise<number> {
    const rows = await this.dataSource.query(
      `SELECT id FROM synthesis_jobs WHERE status = 'queued' AND created_at < now() - make_interval(secs => $1 / 1000.0)
        ORDER BY created_at LIMIT $2`,
      [this.config.jobs.relayMinAgeMs, RELAY_BATCH],
    );
    let relayed = 0;
    for (const { id } of rows as Array<{ id: string }>) {
      if (await this.queue.getJob(id)) continue;
      await enqueueSynthesis(this.queue, id, this.config.jobs.maxAttempts);
      relayed++;
    }
    if (relayed > 0) this.logger.pino.info({ relayed }, 'relayed queued jobs missing from the queue');
    return relayed;
  }
}
