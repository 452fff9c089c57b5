import { Injectable } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import { describeOutage, isDependencyOutage } from '../common/errors/dependency-outage';
import { toTtsError } from '../common/errors/to-tts-error';
import { TtsErrorCode } from '../common/tts-error';
import { RootLogger } from '../logging/root-logger';
import { SpeechService } from '../synthesis/speech.service';
import { JobOutcomes } from './job-outcomes';
import type { SynthesisJobData } from './job-queue';

/** Failures a later attempt can cure; anything else fails the job at once. */
const TRANSIENT: ReadonlySet<TtsErrorCode> = new Set([
  'provider_timeout',
  'provider_unavailable',
  'all_providers_failed',
  'service_unavailable',
  'internal',
]);

/** How long a job waits when PostgreSQL is out of reach: about a restart's length. */
const OUTAGE_DELAY_MS = 3000;

/** Runs one synthesis job (worker process only). */
@Injectable()
export class SynthesisJobProcessor {
  constructor(
    private readonly outcomes: JobOutcomes,
    private readonly speech: SpeechService,
    private readonly logger: RootLogger,
  ) {}

  /**
   * PostgreSQL (or Redis) out of reach is the service's trouble, not the job's: the job goes back to
   * the queue, delayed, without spending one of its attempts, and runs again once the database
   * answers. Its row has not changed (each state change is one transaction), so the next run starts
   * where this one did.
   */
  async process(bullJob: Job<SynthesisJobData>, token?: string): Promise<void> {
    try {
      await this.run(bullJob);
    } catch (exception) {
      if (!token || !isDependencyOutage(exception)) throw exception;
      this.logger.pino.warn({ jobId: bullJob.data.jobId, reason: describeOutage(exception) }, 'job postponed: PostgreSQL unavailable');
      await bullJob.moveToDelayed(Date.now() + OUTAGE_DELAY_MS, token);
      throw new DelayedError();
    }
  }

  private async run(bullJob: Job<SynthesisJobData>): Promise<void> {
    const job = await this.outcomes.start(bullJob.data.jobId);
    if (!job) return; // finished by an earlier run, expired, or never committed
    const startedAt = Date.now();
    try {
      const outcome = await this.speech.render(job.request, { requestId: job.id, tenantId: job.tenantId });
      if (await this.outcomes.succeed(job, outcome))
        this.logger.pino.info({ jobId: job.id, provider: outcome.provider, ms: Date.now() - startedAt }, 'job succeeded');
    } catch (exception) {
      if (isDependencyOutage(exception)) throw exception;
      const error = toTtsError(exception);
      const attempts = (error.details?.attempts as unknown) ?? undefined;
      const lastAttempt = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1);
      if (TRANSIENT.has(error.code) && !lastAttempt) {
        await this.outcomes.retryLater(job.id, error.code, error.message);
        this.logger.pino.warn({ jobId: job.id, code: error.code, attempt: bullJob.attemptsMade + 1 }, 'job attempt failed; will retry');
        throw error;
      }
      if (error.code === 'internal') this.logger.pino.error({ jobId: job.id, err: error.cause ?? error }, 'job failed unexpectedly');
      const message = error.code === 'internal' ? 'The synthesis failed unexpectedly.' : error.message;
      await this.outcomes.fail(job.id, error.code, message, attempts);
      throw new UnrecoverableError(`${error.code}: ${message}`);
    }
  }
}
