import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreditsService } from '../billing/credits.service';
import { AppConfig } from '../config/app-config';
import { RESULT_STORE, ResultStore } from '../storage/result-store';
import type { RenderedSpeech } from '../synthesis/speech.types';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { SynthesisJobEntity } from './synthesis-job.entity';
import { SynthesisJobRepository } from './synthesis-job.repository';

/**
 * The state changes of a job, each one transaction that moves the row, the credits and the result
 * together. Every change is conditional on the current status, so a job that runs twice (a crash,
 * a stalled lock) still ends with one result and one settle. Whatever else must happen exactly when a
 * job finishes (an outbox row for a notification, say) is one more statement on `manager` below.
 */
@Injectable()
export class JobOutcomes {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: SynthesisJobRepository,
    @Inject(RESULT_STORE) private readonly results: ResultStore,
    private readonly credits: CreditsService,
    private readonly webhookOutbox: WebhookOutbox,
    private readonly config: AppConfig,
  ) {}

  /** Marks the job running; undefined when it is already finished, expired or unknown. */
  start(jobId: string): Promise<SynthesisJobEntity | undefined> {
    return this.jobs.markRunning(jobId);
  }

  async succeed(job: SynthesisJobEntity, outcome: RenderedSpeech): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // A job answered from the audio cache pays the hit price (cache_hit in the ledger), any other its reservation.
      const charged = outcome.cache === 'hit' ? this.config.pricing.cacheHitCredits(job.credits) : job.credits;
      const served = {
        provider: outcome.provider,
        model: outcome.model ?? null,
        attempts: outcome.attempts,
        cache: outcome.cache,
        charged,
      };
      if (!(await this.jobs.markSucceeded(manager, job.id, served))) return false;
      await this.results.save(
        job.id,
        {
          audio: outcome.bytes,
          contentType: outcome.contentType,
          format: outcome.format,
          durationSeconds: outcome.durationSeconds,
          sampleRate: outcome.sampleRate,
          ...(outcome.segments ? { segments: outcome.segments } : {}),
        },
        manager,
      );
      const usage = { status: 'succeeded' as const, provider: outcome.provider, audioSeconds: outcome.durationSeconds };
      if (outcome.cache === 'hit') await this.credits.settleAsCacheHit(job.id, charged, manager, usage);
      else await this.credits.settle(job.id, job.credits, manager, usage);
      await this.webhookOutbox.recordJobEvent(manager, 'job.succeeded', [{ id: job.id, tenantId: job.tenantId }]);
      return true;
    });
  }

  /** Fails a queued or running job and releases its credits. */
  async fail(jobId: string, code: string, message: string, attempts?: unknown): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const tenantId = await this.jobs.markFailed(manager, jobId, code, message, attempts);
      if (tenantId === undefined) return false;
      await this.credits.release(jobId, manager, { status: 'failed' });
      await this.webhookOutbox.recordJobEvent(manager, 'job.failed', [{ id: jobId, tenantId }]);
      return true;
    });
  }

  /** A transient failure that BullMQ will retry: the job waits, `queued`, with the last error visible. */
  retryLater(jobId: string, code: string, message: string): Promise<void> {
    return this.jobs.markQueuedForRetry(jobId, code, message);
  }
}
