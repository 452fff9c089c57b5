import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { TtsError } from '../../common/tts-error';
import type { SynthesisJobEntity } from '../../jobs/synthesis-job.entity';
import type { SynthesisRequest } from '../../synthesis/synthesis-request';
import { PreparedSpeech, SpeechService } from '../../synthesis/speech.service';
import type { BilledSpeech } from '../../synthesis/speech.types';
import { parseVoiceId, requireObject, toSynthesisRequest } from './sauti-request.parser';
import { KeyRateLimits } from '../../tenants/key-rate-limit';
import type { TenantLimits } from '../../config/rate-limits.config';
import { SAUTI_SYNC_MAX_CHARACTERS } from './sauti-routes';
import { withCacheControl } from '../shared/cache-control';

export type SautiSpeech =
  { kind: 'audio'; voiceId: string; outcome: BilledSpeech } | { kind: 'job'; job: SynthesisJobEntity; created: boolean };

export interface SautiCallContext {
  tenantId: string;
  apiKeyId: string;
  limits: TenantLimits;
  requestId: string;
  idempotencyKey?: string;
  /** The request's `Cache-Control` (`no-store` keeps the audio cache out). */
  cacheControl?: string;
  signal?: AbortSignal;
  /** Where the job-creation limit's x-ratelimit-* headers go, when a job is created. */
  response?: Response;
}

/** The Sauti dialect's use of the engine: which texts are spoken now and which become jobs. */
@Injectable()
export class SautiSynthesisService {
  constructor(
    private readonly speech: SpeechService,
    private readonly rateLimits: KeyRateLimits,
  ) {}

  /** POST /v1/text-to-speech/{voice_id}: up to 2,000 characters inline, longer texts as a job. */
  async speak(voiceId: string, body: unknown, context: SautiCallContext): Promise<SautiSpeech> {
    // The path names the resource: an unknown voice is a 404 whatever the body holds.
    this.requireCatalogueVoice(voiceId, 'voice_id');
    const request = toSynthesisRequest(voiceId, requireObject(body, 'body', ['text', 'voice_settings']));
    const prepared = await this.prepare(withCacheControl(request, context.cacheControl), 'voice_id');
    // Turned into a job: it counts against the job-creation limit as POST /v1/tts/jobs would.
    if (prepared.request.characters > SAUTI_SYNC_MAX_CHARACTERS) return { kind: 'job', ...(await this.enqueue(prepared, context)) };
    const caller = { tenantId: context.tenantId, apiKeyId: context.apiKeyId, requestId: context.requestId, face: 'sauti' as const };
    const outcome = await this.speech.speak(prepared, caller, context.signal);
    return { kind: 'audio', voiceId, outcome };
  }

  /** POST /v1/tts/jobs. */
  async createJob(body: unknown, context: SautiCallContext): Promise<{ job: SynthesisJobEntity; created: boolean }> {
    const fields = requireObject(body, 'body', ['text', 'voice_id', 'voice_settings']);
    const voiceId = parseVoiceId(fields.voice_id, 'voice_id');
    return this.enqueue(
      await this.prepare(withCacheControl(toSynthesisRequest(voiceId, fields), context.cacheControl), 'voice_id'),
      context,
    );
  }

  /** The key's job-creation limit is charged only when a job is created: an idempotent replay costs nothing. */
  private enqueue(prepared: PreparedSpeech, context: SautiCallContext): Promise<{ job: SynthesisJobEntity; created: boolean }> {
    return this.speech.submit(prepared, context, {
      face: 'sauti',
      idempotencyKey: context.idempotencyKey,
      admit: () => this.rateLimits.charge(context, 'job_creates', context.response),
    });
  }

  /** Only catalogue voices are Sauti voices (`provider/model` keys are other faces' business). */
  private requireCatalogueVoice(voiceId: string, field: string): void {
    if (!this.speech.voice(voiceId)) {
      throw new TtsError('unknown_voice', `Voice '${voiceId}' was not found; GET /v1/voices lists the available voices.`, { field });
    }
  }

  private prepare(request: SynthesisRequest, field: string): Promise<PreparedSpeech> {
    this.requireCatalogueVoice(request.route, field);
    return this.speech.prepare(request, { route: field, format: 'format' });
  }
}
