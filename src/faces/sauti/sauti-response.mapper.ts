import type { Response } from 'express';
import type { SynthesisJobEntity } from '../../jobs/synthesis-job.entity';
import type { CatalogVoice } from '../../synthesis/speech.types';
import type { SautiJobAcceptedDto, SautiJobStatus, SautiJobStatusDto } from './sauti-job.dto';
import type { SautiVoiceDto } from './sauti-voice.dto';

/** Response headers of this face (documented in docs/sauti-api.md). */
export const SAUTI_HEADERS = {
  provider: 'x-tts-provider',
  characters: 'x-character-count',
  creditsCharged: 'x-credits-charged',
  creditsReserved: 'x-credits-reserved',
  idempotentReplay: 'idempotent-replayed',
} as const;

/** ISO-8601 UTC with a `Z`, to the second, as the document writes them (2026-03-15T10:30:00Z). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sautiStatus(job: SynthesisJobEntity): SautiJobStatus {
  // JobService.get answers job_not_found for expired jobs, so they never reach a client as a status.
  if (job.status === 'expired') throw new Error(`expired job ${job.id} reached the Sauti mapper`);
  return job.status;
}

export function toJobAccepted(job: SynthesisJobEntity): SautiJobAcceptedDto {
  return { job_id: job.id, status: sautiStatus(job), created_at: isoSeconds(job.createdAt) };
}

export function toJobStatus(job: SynthesisJobEntity): SautiJobStatusDto {
  const status = sautiStatus(job);
  const done = status === 'succeeded' || status === 'failed';
  return {
    job_id: job.id,
    status,
    created_at: isoSeconds(job.createdAt),
    ...(done && job.completedAt ? { completed_at: isoSeconds(job.completedAt) } : {}),
    ...(status === 'failed' ? { error: { code: job.errorCode ?? 'internal', message: job.errorMessage ?? 'The job failed.' } } : {}),
  };
}

export function toVoice(voice: CatalogVoice): SautiVoiceDto {
  return {
    voice_id: voice.id,
    name: voice.name,
    language: voice.language,
    sample_rate: voice.sampleRate,
    engine: voice.engine,
    available: voice.available,
    served_by_fallback: voice.servedByFallback,
    ...(voice.fallbackProvider ? { fallback_provider: voice.fallbackProvider } : {}),
    test_voice: voice.testVoice,
    ...(voice.modelSampleRate !== undefined ? { model_sample_rate: voice.modelSampleRate } : {}),
  };
}

/** The cost headers: characters billed and the credits charged (sync, download) or reserved (job created). */
export function setCostHeaders(response: Response, characters: number, credits: number, kind: 'charged' | 'reserved'): void {
  response.setHeader(SAUTI_HEADERS.characters, String(characters));
  response.setHeader(kind === 'charged' ? SAUTI_HEADERS.creditsCharged : SAUTI_HEADERS.creditsReserved, String(credits));
}
