import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { asInsufficientCredits } from '../billing/credits.service';
import { TtsError } from '../common/tts-error';
import { withTimeout } from '../common/with-timeout';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { RESULT_STORE, ResultStore, StoredResult } from '../storage/result-store';
import type { FaceName, SynthesisRequest } from '../synthesis/synthesis-request';
import { isPossibleJobId, newJobId, requestHash } from './job-ids';
import { enqueueSynthesis, SynthesisJobData } from './job-queue';
import { SYNTHESIS_QUEUE } from './queue-names';
import { SynthesisJobEntity } from './synthesis-job.entity';
import { SynthesisJobRepository } from './synthesis-job.repository';

export interface CreateJobOptions {
  face: FaceName;
  /** The key that asked: the usage report attributes the job to it, and its budget is charged the reservation. */
  apiKeyId?: string;
  idempotencyKey?: string;
  /** Seconds the result is kept after completion; the configured default when absent. */
  resultTtlSeconds?: number;
  /** The price, when the caller has priced the request already (SpeechService.prepare); priced here otherwise. */
  credits?: number;
  /**
   * Runs only when a new job is about to be created, never for an idempotent replay: where a face
   * charges the key's job-creation rate limit (a replay creates nothing, so it costs nothing).
   * Whatever it throws refuses the create.
   */
  admit?: () => Promise<void>;
}

export interface CreatedJob {
  job: SynthesisJobEntity;
  /** False when an Idempotency-Key matched an earlier job, which is returned instead. */
  created: boolean;
}

/** Raised by create_synthesis_job() when the tenant row does not exist. */
const TENANT_NOT_FOUND_SQLSTATE = 'SC404';
const TOO_MANY_JOBS_RETRY_SECONDS = 5;
const ENQUEUE_TIMEOUT_MS = 2000;

/** Creates, reads and downloads async synthesis jobs; a tenant only ever sees its own. */
@Injectable()
export class JobService {
  constructor(
    private readonly jobs: SynthesisJobRepository,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue<SynthesisJobData>,
    @Inject(RESULT_STORE) private readonly results: ResultStore,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  /**
   * Writes the job row and reserves its credits in one statement, then enqueues. If Redis is
   * down the row waits, `queued`, for the worker's relay: the job is never lost.
   *
   * With an Idempotency-Key, an earlier job with that key is returned (`created: false`) and nothing
   * is charged, not even the job-creation limit (`admit` runs only for a new job). Concurrent creates
   * with one key are serialised on the key, so exactly one creates and the others replay it.
   */
  async create(tenantId: string, request: SynthesisRequest, options: CreateJobOptions): Promise<CreatedJob> {
    const ttl = options.resultTtlSeconds ?? this.config.jobs.defaultResultTtlSeconds;
    const hash = requestHash(options.face, request, ttl);
    const key = options.idempotencyKey;
    let outcome: CreatedJob;
    if (key) {
      // Most replays are sequential retries: answered without a transaction.
      const earlier = await this.jobs.findByIdempotencyKey(tenantId, key);
      if (earlier) return { job: this.sameRequestOrThrow(earlier, hash), created: false };
      outcome = await this.jobs.withIdempotencyKeyLock(tenantId, key, async (manager) => {
        const winner = await this.jobs.findByIdempotencyKey(tenantId, key, manager);
        if (winner) return { job: this.sameRequestOrThrow(winner, hash), created: false };
        await options.admit?.();
        return { job: await this.insertAndReserve(tenantId, request, options, ttl, hash, manager), created: true };
      });
      if (!outcome.created) return outcome;
    } else {
      await options.admit?.();
      outcome = { job: await this.insertAndReserve(tenantId, request, options, ttl, hash), created: true };
    }
    const { job } = outcome;
    // Bounded: with Redis down the queue may wait for a connection; the row is already durable.
    await withTimeout(enqueueSynthesis(this.queue, job.id, this.config.jobs.maxAttempts), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch(
      (error: Error) => this.logger.pino.warn({ jobId: job.id, err: error.message }, 'enqueue failed; the relay will enqueue the job'),
    );
    return outcome;
  }

  /** The row and its reservation commit or vanish together (SynthesisJobRepository.insertWithReservation). */
  private async insertAndReserve(
    tenantId: string,
    request: SynthesisRequest,
    options: CreateJobOptions,
    ttl: number,
    hash: string,
    manager?: EntityManager,
  ): Promise<SynthesisJobEntity> {
    const job = Object.assign(new SynthesisJobEntity(), {
      id: newJobId(),
      tenantId,
      face: options.face,
      status: 'queued',
      request,
      requestHash: hash,
      idempotencyKey: options.idempotencyKey ?? null,
      apiKeyId: options.apiKeyId ?? null,
      provider: null,
      model: null,
      attempts: 0,
      routingAttempts: null,
      cacheStatus: null,
      creditsCharged: null,
      errorCode: null,
      errorMessage: null,
      characters: request.characters,
      credits: options.credits ?? this.config.pricing.creditsFor(request.route, request.characters),
      resultTtlSeconds: ttl,
      startedAt: null,
      completedAt: null,
      expiresAt: null,
    } satisfies Omit<SynthesisJobEntity, 'createdAt'>);
    let inserted;
    try {
      inserted = await this.jobs.insertWithReservation(job, this.config.rateLimits.defaults.max_active_jobs, manager);
    } catch (error) {
      if ((error as { code?: string }).code === TENANT_NOT_FOUND_SQLSTATE)
        throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
      throw asInsufficientCredits(error, job.credits);
    }
    if (!inserted.createdAt) {
      throw new TtsError(
        'too_many_jobs',
        `This account already has ${inserted.active} jobs queued or running (limit ${inserted.activeLimit}). Wait for some to finish.`,
        { retryAfterSeconds: TOO_MANY_JOBS_RETRY_SECONDS },
      );
    }
    job.createdAt = inserted.createdAt;
    return job;
  }

  private sameRequestOrThrow(job: SynthesisJobEntity, hash: string): SynthesisJobEntity {
    if (job.requestHash !== hash) {
      throw new TtsError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.', {
        field: 'Idempotency-Key',
      });
    }
    return job;
  }

  /**
   * The tenant's job; another tenant's id, an unknown id, an expired job and an id that no job can
   * have (checked before any query) all answer job_not_found with the same wording.
   */
  async get(tenantId: string, jobId: string): Promise<SynthesisJobEntity> {
    const job = isPossibleJobId(jobId) ? await this.jobs.findOfTenant(tenantId, jobId) : null;
    if (!job || job.status === 'expired') throw jobNotFound(jobId);
    return job;
  }

  /** A job whatever its status, expired included (webhook payloads describe every final state). */
  findById(jobId: string): Promise<SynthesisJobEntity | null> {
    return this.jobs.findById(jobId);
  }

  async getAudio(tenantId: string, jobId: string): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    return this.audioOf(await this.get(tenantId, jobId));
  }

  /** For links whose signature already proves the caller may download (Fish `audioUrl`). */
  async getAudioById(jobId: string): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    const job = isPossibleJobId(jobId) ? await this.jobs.findById(jobId) : null;
    if (!job || job.status === 'expired') throw jobNotFound(jobId);
    return this.audioOf(job);
  }

  private async audioOf(job: SynthesisJobEntity): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    if (job.status === 'failed') throw new TtsError('job_not_ready', `Job ${job.id} failed (${job.errorCode}); it has no audio.`);
    if (job.status !== 'succeeded')
      throw new TtsError('job_not_ready', `Job ${job.id} is ${job.status}; audio is available once it has succeeded.`);
    const result = await this.results.load(job.id);
    if (!result) throw jobNotFound(job.id);
    return { job, result };
  }

  /** Queued and running jobs of a tenant (Fish profile). */
  activeCounts(tenantId: string): Promise<{ queued: number; running: number }> {
    return this.jobs.activeCounts(tenantId);
  }
}

/** An id that is not one of ours is not echoed back raw (it may hold control characters or be huge). */
function jobNotFound(jobId: string): TtsError {
  const shown = isPossibleJobId(jobId) ? jobId : JSON.stringify(jobId.length > 64 ? `${jobId.slice(0, 64)}…` : jobId);
  return new TtsError('job_not_found', `Job ${shown} was not found.`);
}
