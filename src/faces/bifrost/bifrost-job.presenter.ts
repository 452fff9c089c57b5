import { Injectable } from '@nestjs/common';
import { TTS_ERROR_CODES, TtsError, TtsErrorCode } from '../../common/tts-error';
import type { SynthesisJobEntity, JobStatus } from '../../jobs/synthesis-job.entity';
import { SpeechService } from '../../synthesis/speech.service';
import type { StoredResult } from '../../storage/result-store';
import { BIFROST_SPEECH_REQUEST_TYPE, bifrostError, splitModel } from './bifrost-error.envelope';

export type BifrostJobStatus = 'pending' | 'processing' | 'completed' | 'failed';

const STATUS_WORDS: Record<Exclude<JobStatus, 'expired'>, BifrostJobStatus> = {
  queued: 'pending',
  running: 'processing',
  succeeded: 'completed',
  failed: 'failed',
};

/** Timestamps are reported to the millisecond: the sample-exact spans rounded, never truncated. */
const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

function isTtsErrorCode(value: string | null): value is TtsErrorCode {
  return value !== null && (TTS_ERROR_CODES as readonly string[]).includes(value);
}

/** Bifrost's async job response for a speech job, in each of its states. */
@Injectable()
export class BifrostJobPresenter {
  constructor(private readonly speech: SpeechService) {}

  statusOf(job: SynthesisJobEntity): BifrostJobStatus {
    if (job.status === 'expired') throw new TtsError('job_not_found', `Job ${job.id} was not found.`);
    return STATUS_WORDS[job.status];
  }

  accepted(job: SynthesisJobEntity): Record<string, unknown> {
    return { id: job.id, status: this.statusOf(job), created_at: job.createdAt.toISOString() };
  }

  completed(job: SynthesisJobEntity, result: StoredResult): Record<string, unknown> {
    const request = job.request;
    return {
      ...this.finished(job),
      status_code: 200,
      result: {
        audio: result.audio.toString('base64'),
        format: result.format,
        content_type: result.contentType,
        sample_rate: result.sampleRate,
        duration_seconds: round3(result.durationSeconds),
        characters: job.characters,
        credits: job.creditsCharged ?? job.credits,
        cache: job.cacheStatus ?? 'bypass',
        usage: { characters: job.characters, input_tokens: job.characters, output_tokens: 0, total_tokens: job.characters },
        provider: job.provider,
        model: job.model,
        fallback_used: (job.routingAttempts ?? []).some((attempt) => attempt.outcome !== 'ok'),
        attempts: (job.routingAttempts ?? []).map((attempt) => ({
          provider: attempt.provider,
          model: attempt.model ?? attempt.voice,
          outcome: attempt.outcome,
          duration_ms: Math.round(attempt.durationMs),
        })),
        ...(request.withTimestamps
          ? {
              timestamps: (result.segments ?? []).map((s) => ({
                text: s.text,
                start_seconds: round3(s.startSeconds),
                end_seconds: round3(s.endSeconds),
              })),
            }
          : {}),
        ignored_fields: this.speech.ignoredFields(request, job.provider ?? undefined),
        extra_fields: {
          provider: this.requested(job).provider,
          model_requested: this.requested(job).modelRequested,
          request_type: BIFROST_SPEECH_REQUEST_TYPE,
        },
      },
    };
  }

  failed(job: SynthesisJobEntity): Record<string, unknown> {
    const code = isTtsErrorCode(job.errorCode) ? job.errorCode : 'internal';
    const error = new TtsError(code, job.errorMessage ?? 'The synthesis failed.');
    const rendered = bifrostError(error, { eventId: job.id, ...this.requested(job), requestType: BIFROST_SPEECH_REQUEST_TYPE });
    return { ...this.finished(job), status_code: rendered.status, error: rendered.body };
  }

  private finished(job: SynthesisJobEntity): Record<string, unknown> {
    return {
      id: job.id,
      status: this.statusOf(job),
      created_at: job.createdAt.toISOString(),
      ...(job.completedAt ? { completed_at: job.completedAt.toISOString() } : {}),
      ...(job.expiresAt ? { expires_at: job.expiresAt.toISOString() } : {}),
    };
  }

  private requested(job: SynthesisJobEntity): { provider: string | null; modelRequested: string | null } {
    return splitModel(job.request.route);
  }
}
