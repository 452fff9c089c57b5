import { decodeWav, pcm16ToFloat } from '../../audio/wav';
import type { SynthesizedAudio } from '../tts-provider';
import { UpstreamError } from './upstream-error';

/** An upstream's WAV answer as float PCM; an unreadable file is the upstream's fault, not the request's. */
export function audioFromWav(provider: string, bytes: Buffer): SynthesizedAudio {
  try {
    const { samples, sampleRate } = decodeWav(bytes);
    return { samples, sampleRate };
  } catch (error) {
    throw unreadable(provider, `not a readable WAV file (${(error as Error).message})`, error);
  }
}

/** Raw 16-bit little-endian mono PCM at a rate agreed in the request. */
export function audioFromPcm16(provider: string, bytes: Buffer, sampleRate: number): SynthesizedAudio {
  if (bytes.length % 2 !== 0) throw unreadable(provider, 'raw PCM with an odd byte count');
  return { samples: pcm16ToFloat(bytes), sampleRate };
}

export function unreadable(provider: string, detail: string, cause?: unknown): UpstreamError {
  return new UpstreamError('provider_unavailable', `${provider} sent audio that cannot be read: ${detail}`, false, { provider, cause });
}

/** Speed knobs upstreams accept, clamped to their documented range. */
export function clampSpeed(speakingRate: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, speakingRate));
}
