import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { JobService } from '../../jobs/job.service';
import { SpeechService } from '../../synthesis/speech.service';
import { BifrostJobPresenter } from './bifrost-job.presenter';
import type { BifrostSpeechRequestDto } from './bifrost-speech.dto';
import { inertFieldsSet, resultTtlFromHeader, toSynthesisRequest } from './bifrost-speech.mapper';

/** The face's names for the neutral request's fields, so routing errors point at the client's own. */
const FIELD_NAMES = { route: 'model', fallbacks: 'fallbacks', format: 'response_format' };

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
  ) {}

  async create(tenantId: string, dto: BifrostSpeechRequestDto, ttlHeader: string | string[] | undefined): Promise<BifrostReply> {
    const prepared = await this.speech.prepare(toSynthesisRequest(dto), FIELD_NAMES);
    const resultTtlSeconds = resultTtlFromHeader(ttlHeader, this.config.jobs.defaultResultTtlSeconds);
    const { job } = await this.speech.submit(prepared, { tenantId }, { face: 'bifrost', resultTtlSeconds });
    // Who will serve is known only at the end (fallbacks); the route's first target is the expected one.
    const ignored = [...this.speech.ignoredFields(prepared.request, prepared.route.targets[0]?.provider), ...inertFieldsSet(dto)];
    const headers: Record<string, string> = { 'x-bf-async-job-result-ttl': String(resultTtlSeconds) };
    if (ignored.length > 0) headers['x-ignored-fields'] = ignored.join(', ');
    return { status: 202, body: this.presenter.accepted(job), headers };
  }

  async poll(tenantId: string, jobId: string): Promise<BifrostReply> {
    const job = await this.jobs.get(tenantId, jobId);
    // The sweeper runs every few seconds; a result past its expiry is gone for the client at once.
    if (job.expiresAt && job.expiresAt.getTime() <= Date.now()) throw new TtsError('job_not_found', `Job ${jobId} was not found.`);
    const status = this.presenter.statusOf(job);
    if (status === 'pending' || status === 'processing') return { status: 202, body: this.presenter.accepted(job), headers: {} };
    if (status === 'failed') return { status: 200, body: this.presenter.failed(job), headers: {} };
    const { result } = await this.jobs.getAudio(tenantId, jobId);
    return { status: 200, body: this.presenter.completed(job, result), headers: job.provider ? { 'x-tts-provider': job.provider } : {} };
  }
}
