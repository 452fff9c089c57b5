import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { asInsufficientCredits } from '../billing/credits.service';
import { TtsError } from '../common/tts-error';
import { withTimeout } from '../common/with-timeout';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { RESULT_STORE, ResultStore, StoredResult } from '../storage/result-store';
import { SynthesisService } from '../synthesis/synthesis.service';
import type { FaceName, SynthesisRequest } from '../synthesis/synthesis-request';
import { newJobId, requestHash } from './job-ids';
import { enqueueSynthesis, SynthesisJobData } from './job-queue';
import { SYNTHESIS_QUEUE } from './queue-names';
import { SynthesisJobEntity } from './synthesis-job.entity';

export interface CreateJobOptions {
  face: FaceName;
  idempotencyKey?: string;
  /** Seconds the result is kept after completion; the configured default when absent. */
  resultTtlSeconds?: number;
}

export interface CreatedJob {
  job: SynthesisJobEntity;
  /** False when an Idempotency-Key matched an earlier job, which is returned instead. */
  created: boolean;
}

const UNIQUE_VIOLATION = '23505';
/** Raised by create_synthesis_job() when the tenant row does not exist. */
const TENANT_NOT_FOUND_SQLSTATE = 'SC404';
const TOO_MANY_JOBS_RETRY_SECONDS = 5;
const ENQUEUE_TIMEOUT_MS = 2000;

/** Creates, reads and downloads async synthesis jobs; a tenant only ever sees its own. */
@Injectable()
export class JobService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue<SynthesisJobData>,
    @Inject(RESULT_STORE) private readonly results: ResultStore,
    private readonly synthesis: SynthesisService,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  /**
   * Writes the job row and reserves its credits in one transaction, then enqueues. If Redis is
   * down the row waits, `queued`, for the worker's relay: the job is never lost.
   */
  async create(tenantId: string, request: SynthesisRequest, options: CreateJobOptions): Promise<CreatedJob> {
    const ttl = options.resultTtlSeconds ?? this.config.jobs.defaultResultTtlSeconds;
    const hash = requestHash(options.face, request, ttl);
    if (options.idempotencyKey) {
      const earlier = await this.findByIdempotencyKey(tenantId, options.idempotencyKey);
      if (earlier) return { job: this.sameRequestOrThrow(earlier, hash), created: false };
    }
    let job: SynthesisJobEntity;
    try {
      job = await this.insertAndReserve(tenantId, request, options, ttl, hash);
    } catch (error) {
      const duplicateKey = (error as { code?: string }).code === UNIQUE_VIOLATION && options.idempotencyKey;
      if (!duplicateKey) throw error;
      const winner = await this.findByIdempotencyKey(tenantId, options.idempotencyKey!);
      if (!winner) throw error;
      return { job: this.sameRequestOrThrow(winner, hash), created: false };
    }
    // Bounded: with Redis down the queue may wait for a connection; the row is already durable.
    await withTimeout(enqueueSynthesis(this.queue, job.id, this.config.jobs.maxAttempts), ENQUEUE_TIMEOUT_MS, 'enqueue timed out').catch(
      (error: Error) => this.logger.pino.warn({ jobId: job.id, err: error.message }, 'enqueue failed; the relay will enqueue the job'),
    );
    return { job, created: true };
  }

  /**
   * The row and its credit reservation in one statement (create_synthesis_job, migration
   * CreateJobFunction): it locks the tenant row, so this tenant's creations are serialised and the
   * active-job cap is exact, and the row and the reservation commit or vanish together.
   */
  private async insertAndReserve(
    tenantId: string,
    request: SynthesisRequest,
    options: CreateJobOptions,
    ttl: number,
    hash: string,
  ): Promise<SynthesisJobEntity> {
    const job = this.dataSource.getRepository(SynthesisJobEntity).create({
      id: newJobId(),
      tenantId,
      face: options.face,
      status: 'queued',
      request,
      requestHash: hash,
      idempotencyKey: options.idempotencyKey ?? null,
      provider: null,
      model: null,
      attempts: 0,
      routingAttempts: null,
      errorCode: null,
      errorMessage: null,
      characters: request.characters,
      credits: this.synthesis.priceOf(request),
      resultTtlSeconds: ttl,
      startedAt: null,
      completedAt: null,
      expiresAt: null,
    });
    let rows: { created_at: Date | null; active: number; active_limit: number }[];
    try {
      rows = await this.dataSource.query(
        `SELECT created_at, active, active_limit FROM create_synthesis_job($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          job.id,
          tenantId,
          job.face,
          JSON.stringify(request),
          hash,
          job.idempotencyKey,
          job.characters,
          job.credits,
          ttl,
          this.config.rateLimits.defaults.max_active_jobs,
        ],
      );
    } catch (error) {
      if ((error as { code?: string }).code === TENANT_NOT_FOUND_SQLSTATE)
        throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
      throw asInsufficientCredits(error, job.credits);
    }
    const [{ created_at: createdAt, active, active_limit: limit }] = rows;
    if (!createdAt) {
      throw new TtsError(
        'too_many_jobs',
        `This account already has ${active} jobs queued or running (limit ${limit}). Wait for some to finish.`,
        {
          retryAfterSeconds: TOO_MANY_JOBS_RETRY_SECONDS,
        },
      );
    }
    job.createdAt = createdAt;
    return job;
  }

  private findByIdempotencyKey(tenantId: string, key: string): Promise<SynthesisJobEntity | null> {
    return this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ tenantId, idempotencyKey: key });
  }

  private sameRequestOrThrow(job: SynthesisJobEntity, hash: string): SynthesisJobEntity {
    if (job.requestHash !== hash) {
      throw new TtsError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body.', {
        field: 'Idempotency-Key',
      });
    }
    return job;
  }

  /** The tenant's job; another tenant's id, an unknown id and an expired job all answer job_not_found. */
  async get(tenantId: string, jobId: string): Promise<SynthesisJobEntity> {
    const job = await this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ id: jobId, tenantId });
    if (!job || job.status === 'expired') throw new TtsError('job_not_found', `Job ${jobId} was not found.`);
    return job;
  }

  /** A job whatever its status, expired included (webhook payloads describe every final state). */
  findById(jobId: string): Promise<SynthesisJobEntity | null> {
    return this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ id: jobId });
  }

  async getAudio(tenantId: string, jobId: string): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    return this.audioOf(await this.get(tenantId, jobId));
  }

  /** For links whose signature already proves the caller may download (Fish `audioUrl`). */
  async getAudioById(jobId: string): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    const job = await this.dataSource.getRepository(SynthesisJobEntity).findOneBy({ id: jobId });
    if (!job || job.status === 'expired') throw new TtsError('job_not_found', `Job ${jobId} was not found.`);
    return this.audioOf(job);
  }

  private async audioOf(job: SynthesisJobEntity): Promise<{ job: SynthesisJobEntity; result: StoredResult }> {
    if (job.status === 'failed') throw new TtsError('job_not_ready', `Job ${job.id} failed (${job.errorCode}); it has no audio.`);
    if (job.status !== 'succeeded')
      throw new TtsError('job_not_ready', `Job ${job.id} is ${job.status}; audio is available once it has succeeded.`);
    const result = await this.results.load(job.id);
    if (!result) throw new TtsError('job_not_found', `Job ${job.id} was not found.`);
    return { job, result };
  }

  /** Queued and running jobs of a tenant (Fish profile). */
  async activeCounts(tenantId: string): Promise<{ queued: number; running: number }> {
    const rows = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status = 'running')::int AS running
         FROM synthesis_jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')`,
      [tenantId],
    );
    return { queued: rows[0].queued, running: rows[0].running };
  }
}
