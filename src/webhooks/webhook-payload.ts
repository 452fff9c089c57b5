import { Injectable } from '@nestjs/common';
import { TTS_ERROR_CODES, TtsError, TtsErrorCode } from '../common/tts-error';
import { AppConfig } from '../config/app-config';
import { FishAudioLinkSigner } from '../faces/fish/fish-audio-link.signer';
import { fishErrorKind } from '../faces/fish/fish-error.envelope';
import { fishTaskPath } from '../faces/fish/fish-routes';
import type { SynthesisJobEntity } from '../jobs/synthesis-job.entity';
import type { FaceName } from '../synthesis/synthesis-request';
import type { WebhookEventType } from './webhook-events';

/** The body of every delivery: Standard Webhooks' recommended `type`, `timestamp`, `data` shape. */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When the event happened (the job's final state was committed, the balance crossed), ISO-8601 UTC. */
  timestamp: string;
  data: WebhookJobData | WebhookLowBalanceData;
}

/** `account.low_balance`: the balance dropped below the tenant's threshold (once per crossing; docs/usage.md). */
export interface WebhookLowBalanceData {
  tenant_id: string;
  threshold: number;
  /** The balance just after the crossing. */
  balance: number;
  crossed_at: string;
  /** The account's usage so far this month. */
  usage_url: string;
}

export interface WebhookJobData {
  /** The id the face returned when the job was created. */
  job_id: string;
  face: FaceName;
  /** `succeeded`, `failed` or `expired`, the same words for every face. */
  status: 'succeeded' | 'failed' | 'expired';
  /** The status in the face's own words (Bifrost `completed`, …), as its poll answers. */
  face_status: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** When the result (and the job) is deleted; polls answer 404 afterwards. */
  expires_at: string | null;
  characters: number;
  credits_charged: number;
  format: string;
  provider: string | null;
  /** The face's status endpoint for this job (needs the API key). */
  status_url: string;
  /** Where to fetch the audio (succeeded jobs, until they expire). */
  audio?: { url: string; requires_api_key: boolean; url_expires_at?: string };
  error?: { code: string; message: string };
}

const FACE_WORDS: Record<FaceName, { succeeded: string; failed: string }> = {
  sauti: { succeeded: 'succeeded', failed: 'failed' },
  fish: { succeeded: 'succeeded', failed: 'failed' },
  bifrost: { succeeded: 'completed', failed: 'failed' },
  openai: { succeeded: 'completed', failed: 'failed' },
};

function knownCode(stored: string | null): TtsErrorCode {
  return TTS_ERROR_CODES.includes(stored as TtsErrorCode) ? (stored as TtsErrorCode) : 'internal';
}

/**
 * Builds a delivery's payload from the job as it is now, so every attempt names the same job, times
 * and amounts, and a Fish audio link is signed afresh for each attempt (a retry hours later still
 * carries a link that works while the result lives).
 */
@Injectable()
export class WebhookPayloadBuilder {
  private readonly baseUrl: string;

  constructor(
    private readonly config: AppConfig,
    private readonly fishLinks: FishAudioLinkSigner,
  ) {
    this.baseUrl = config.http.publicBaseUrl;
  }

  build(eventType: WebhookEventType, occurredAt: Date, job: SynthesisJobEntity): WebhookPayload {
    // An expired job keeps its error only if it had failed (a success clears it).
    const succeeded = eventType === 'job.succeeded' || (eventType === 'job.expired' && job.errorCode === null);
    const status = eventType === 'job.expired' ? 'expired' : succeeded ? 'succeeded' : 'failed';
    const words = FACE_WORDS[job.face];
    const data: WebhookJobData = {
      job_id: job.id,
      face: job.face,
      status,
      face_status: status === 'expired' ? 'expired' : succeeded ? words.succeeded : words.failed,
      created_at: job.createdAt.toISOString(),
      started_at: job.startedAt?.toISOString() ?? null,
      completed_at: job.completedAt?.toISOString() ?? null,
      expires_at: job.expiresAt?.toISOString() ?? null,
      characters: job.characters,
      credits_charged: succeeded ? (job.creditsCharged ?? job.credits) : 0,
      format: job.request.format,
      provider: succeeded ? job.provider : null,
      status_url: this.statusUrl(job),
      ...(status === 'succeeded' ? { audio: this.audio(job) } : {}),
      ...(!succeeded ? { error: this.error(job) } : {}),
    };
    return { type: eventType, timestamp: occurredAt.toISOString(), data };
  }

  buildLowBalance(crossing: { tenantId: string; threshold: number; balance: number; crossedAt: Date }): WebhookPayload {
    return {
      type: 'account.low_balance',
      timestamp: crossing.crossedAt.toISOString(),
      data: {
        tenant_id: crossing.tenantId,
        threshold: crossing.threshold,
        balance: crossing.balance,
        crossed_at: crossing.crossedAt.toISOString(),
        usage_url: `${this.baseUrl}/v1/usage`,
      },
    };
  }

  private statusUrl(job: SynthesisJobEntity): string {
    const id = encodeURIComponent(job.id);
    switch (job.face) {
      case 'fish':
        return `${this.baseUrl}${fishTaskPath(job.id)}`;
      case 'bifrost':
      case 'openai':
        return `${this.baseUrl}/v1/async/audio/speech/${id}`;
      case 'sauti':
        return `${this.baseUrl}/v1/tts/jobs/${id}`;
    }
  }

  /**
   * Sauti: the audio endpoint (API key). Bifrost: its poll, which carries the audio. Fish: the signed
   * `audioUrl` the task poll would give, when links are signed with a shared secret; without one only
   * the process that signed a link accepts it, so the status URL (which issues links) is given instead.
   */
  private audio(job: SynthesisJobEntity): WebhookJobData['audio'] {
    switch (job.face) {
      case 'fish': {
        if (!this.config.audioLinks.secret) return { url: this.statusUrl(job), requires_api_key: true };
        const link = this.fishLinks.sign(job.id, this.baseUrl, job.expiresAt);
        return { url: link.url, requires_api_key: false, url_expires_at: link.expiresAt.toISOString() };
      }
      case 'bifrost':
      case 'openai':
        return { url: this.statusUrl(job), requires_api_key: true };
      case 'sauti':
        return { url: `${this.statusUrl(job)}/audio`, requires_api_key: true };
    }
  }

  private error(job: SynthesisJobEntity): { code: string; message: string } {
    const code = knownCode(job.errorCode);
    const message = job.errorMessage ?? 'The job failed.';
    return { code: job.face === 'fish' ? fishErrorKind(new TtsError(code, message)).code : code, message };
  }
}
