import { TTS_ERROR_CODES, TtsError, TtsErrorCode } from '../../common/tts-error';
import type { SynthesisJobEntity } from '../../jobs/synthesis-job.entity';
import type { SignedAudioLink } from './fish-audio-link.signer';
import { fishErrorKind } from './fish-error.envelope';

export type FishTaskStatus = 'queued' | 'processing' | 'succeeded' | 'failed';

/** The task object of create and get. Optional fields appear only when they mean something. */
export interface FishTaskView {
  id: string;
  status: FishTaskStatus;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  /** Succeeded tasks: a signed download link, re-issued on every poll. */
  audioUrl?: string;
  /** When `audioUrl` stops working (poll again for a fresh one). */
  expiresAt?: string;
  /** When the result is deleted; afterwards the task answers 404. */
  resultExpiresAt?: string;
  error?: { code: string; message: string };
  format: string;
  /** Billed characters: Unicode code points of the NFC text. */
  characters: number;
  /** Held while the task runs; charged when it succeeds; 0 charged when it fails (released). */
  credits: { reserved: number } | { charged: number };
  /** Who synthesized it (succeeded tasks). */
  provider?: string;
  /** Succeeded tasks: whether the audio came from the audio cache (`hit`, charged the hit price), was synthesized (`miss`) or the cache was not used (`bypass`). */
  cache?: 'hit' | 'miss' | 'bypass';
}

function fishStatus(job: SynthesisJobEntity): FishTaskStatus {
  switch (job.status) {
    case 'queued':
      return 'queued';
    case 'running':
      return 'processing';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'expired': // never shown: an expired task answers 404 before it gets here
      return 'failed';
  }
}

function fishErrorCode(stored: string | null): string {
  const known = TTS_ERROR_CODES.includes(stored as TtsErrorCode) ? (stored as TtsErrorCode) : 'internal';
  return fishErrorKind(new TtsError(known, '')).code;
}

export function toFishTaskView(job: SynthesisJobEntity, link?: SignedAudioLink): FishTaskView {
  const status = fishStatus(job);
  return {
    id: job.id,
    status,
    createdAt: job.createdAt.toISOString(),
    ...(job.startedAt ? { startedAt: job.startedAt.toISOString() } : {}),
    ...(job.completedAt ? { completedAt: job.completedAt.toISOString() } : {}),
    ...(link ? { audioUrl: link.url, expiresAt: link.expiresAt.toISOString() } : {}),
    ...(job.expiresAt && status === 'succeeded' ? { resultExpiresAt: job.expiresAt.toISOString() } : {}),
    ...(status === 'failed' ? { error: { code: fishErrorCode(job.errorCode), message: job.errorMessage ?? 'The task failed.' } } : {}),
    format: job.request.format,
    characters: job.characters,
    credits:
      status === 'succeeded'
        ? { charged: job.creditsCharged ?? job.credits }
        : status === 'failed'
          ? { charged: 0 }
          : { reserved: job.credits },
    ...(status === 'succeeded' && job.provider ? { provider: job.provider } : {}),
    ...(status === 'succeeded' && job.cacheStatus ? { cache: job.cacheStatus } : {}),
  };
}
