import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { IDEMPOTENT_REPLAY_HEADER, parseIdempotencyKey } from '../../common/http/idempotency-key';
import type { Principal } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { JobService } from '../../jobs/job.service';
import { SpeechService } from '../../synthesis/speech.service';
import { KeyRateLimits } from '../../tenants/key-rate-limit';
import { cacheStatusHeader, withCacheControl } from '../shared/cache-control';
import { BifrostJobPresenter } from './bifrost-job.presenter';
import type { BifrostSpeechRequestDto } from './bifrost-speech.dto';
import { inertFieldsSet, resultTtlFromHeader, toSynthesisRequest } from './bifrost-speech.mapper';

/** The face's names for the neutral request's fields, so routing errors point at the client's own. */
const FIELD_NAMES = { route: 'model', fallbacks: 'fallbacks', format: 'response_format' };

export interface BifrostCreateHeaders {
  ttlHeader?: string | string[];
  idempotencyKey?: string | string[];
  cacheControl?: string | string[];
}

export interface BifrostReply {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Bifrost async speech: accept a job (validated and billed up front), then report it until it expires. */
@Injectable()
export class BifrostSpeechService {
  constructor(
    private readonly speech: SpeechService,
    private readonly jobs: JobService,
    private readonly presenter: BifrostJobPresenter,
    private readonly config: AppConfig,
    private readonly rateLimits: KeyRateLimits,
  ) {}

  /**
   * Accepts a job. With an `Idempotency-Key`, the same key and body (and result TTL) return the
   * first job instead of a new one; the key's job-creation limit is charged only for a new job.
   */
  async create(
    principal: Principal,
    dto: BifrostSpeechRequestDto,
    headers: BifrostCreateHeaders,
    response?: Response,
  ): Promise<BifrostReply> {
    const idempotencyKey = parseIdempotencyKey(headers.idempotencyKey);
    const prepared = await this.speech.prepare(withCacheControl(toSynthesisRequest(dto), headers.cacheControl), FIELD_NAMES);
    const resultTtlSeconds = resultTtlFromHeader(headers.ttlHeader, this.config.jobs.defaultResultTtlSeconds);
    const { job, created } = await this.speech.submit(prepared, principal, {
      face: 'bifrost',
      resultTtlSeconds,
      idempotencyKey,
      admit: () => this.rateLimits.charge(principal, 'job_creates', response),
    });
    // Who will serve is known only at the end (fallbacks); the route's first target is the expected one.
    const ignored = [...this.speech.ignoredFields(prepared.request, prepared.route.targets[0]?.provider), ...inertFieldsSet(dto)];
    const replyHeaders: Record<string, string> = { 'x-bf-async-job-result-ttl': String(resultTtlSeconds) };
    if (ignored.length > 0) replyHeaders['x-ignored-fields'] = ignored.join(', ');
    if (!created) replyHeaders[IDEMPOTENT_REPLAY_HEADER] = 'true';
    return { status: 202, body: this.presenter.accepted(job), headers: replyHeaders };
  }

  async poll(tenantId: string, jobId: string): Promise<BifrostReply> {
    const job = await this.jobs.get(tenantId, jobId);
    // The sweeper runs every few seconds; a result past its expiry is gone for the client at once.
    if (job.expiresAt && job.expiresAt.getTime() <= Date.now()) throw new TtsError('job_not_found', `Job ${jobId} was not found.`);
    const status = this.presenter.statusOf(job);
    if (status === 'pending' || status === 'processing') return { status: 202, body: this.presenter.accepted(job), headers: {} };
    if (status === 'failed') return { status: 200, body: this.presenter.failed(job), headers: {} };
    const { result } = await this.jobs.getAudio(tenantId, jobId);
    const headers = {
      ...(job.provider ? { 'x-tts-provider': job.provider } : {}),
      ...(job.cacheStatus ? cacheStatusHeader(job.cacheStatus) : {}),
    };
    return { status: 200, body: this.presenter.completed(job, result), headers };
  }
}
