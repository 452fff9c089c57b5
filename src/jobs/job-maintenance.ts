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
import { SynthesisJobRepository } from './synthesis-job.repository';
import { WebhookOutbox } from '../webhooks/webhook-outbox';

export interface SweepReport {
  expired: number;
  resultsDeleted: number;
  stalled: number;
  keysReleased: number;
}

const RELAY_BATCH = 500;

/** Queue states in which BullMQ will still run the job by itself. */
const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** The worker's housekeeping: expiry sweep, stuck-job check, idempotency-key release, outbox relay. */
@Injectable()
export class JobMaintenance {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: SynthesisJobRepository,
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
      const jobs = await this.jobs.expireFinished(manager);
      const resultsDeleted = await this.results.delete(
        jobs.map((job) => job.id),
        manager,
      );
      await this.webhookOutbox.recordJobEvent(manager, 'job.expired', jobs);
      return { expired: jobs.length, resultsDeleted };
    });
    const stalled = await this.failStalled();
    const keysReleased = await this.jobs.releaseIdempotencyKeysOlderThan(this.config.jobs.idempotencyKeyTtlHours);
    return { expired, resultsDeleted, stalled, keysReleased };
  }

  /** Jobs `running` for longer than the configured bound have lost their worker for good. */
  private async failStalled(): Promise<number> {
    const seconds = this.config.jobs.runningTimeoutSeconds;
    let failed = 0;
    for (const id of await this.jobs.runningLongerThan(seconds)) {
      if (await this.outcomes.fail(id, 'job_stalled', `The job was still running after ${seconds} s and was stopped.`)) failed++;
    }
    return failed;
  }

  /**
   * The outbox relay: PostgreSQL says what must run, the queue is brought in line. A queued or
   * running row whose BullMQ job is gone (a crash between commit and enqueue, Redis flushed or
   * restarted empty) is enqueued again; one whose BullMQ job failed for good although the row never
   * recorded it (the database was down at that moment) is retried once more. Enqueueing is
   * idempotent by job id, and a row that another run finishes meanwhile makes the new run a no-op.
   * Stops between rows once `deadline` (epoch ms) has passed.
   */
  async relay(deadline = Number.POSITIVE_INFINITY): Promise<number> {
    let relayed = 0;
    for (const { id } of await this.jobs.unfinishedOlderThan(this.config.jobs.relayMinAgeMs, RELAY_BATCH)) {
      if (Date.now() > deadline) break;
      const state = await this.queue.getJobState(id);
      if (PENDING_STATES.has(state)) continue;
      if (state === 'failed') await (await this.queue.getJob(id))?.retry('failed');
      else if (state === 'completed')
        await this.queue.remove(id).then(() => enqueueSynthesis(this.queue, id, this.config.jobs.maxAttempts));
      else await enqueueSynthesis(this.queue, id, this.config.jobs.maxAttempts);
      relayed++;
    }
    if (relayed > 0) this.logger.pino.info({ relayed }, 'relayed unfinished jobs missing from the queue');
    return relayed;
  }
}
