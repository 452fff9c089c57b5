import {
  AudioContainer,
  AudioDecodeError,
  AudioDecoder,
  CompressedContainer,
  containerOfMediaType,
  sniffContainer,
} from '../../audio/audio-decoder';
import type { UpstreamResponseFormat } from '../../config/providers.config';
import { decodeWav, pcm16ToFloat } from '../../audio/wav';
import { isTimeoutReason } from './deadline';
import type { UpstreamResponse } from './upstream-http.client';
import type { SynthesizedAudio } from '../tts-provider';
import { transportError, UpstreamError } from './upstream-error';

/** What a provider asked its upstream for: a WAV file, raw 16-bit PCM at an agreed rate, or a compressed file. */
export type AskedEncoding =
  { kind: 'wav' } | { kind: 'pcm'; sampleRate: number } | { kind: 'compressed'; format: string; container: CompressedContainer };

/** The file each compressed response format comes in. */
const CONTAINERS: Record<Exclude<UpstreamResponseFormat, 'wav' | 'pcm'>, CompressedContainer> = {
  mp3: 'mp3',
  opus: 'ogg',
  aac: 'aac',
  flac: 'flac',
};

/** What asking for `format` (raw PCM at `pcmSampleRate`) means for reading the answer. */
export function askedEncodingFor(format: UpstreamResponseFormat, pcmSampleRate: number): AskedEncoding {
  if (format === 'wav') return { kind: 'wav' };
  if (format === 'pcm') return { kind: 'pcm', sampleRate: pcmSampleRate };
  return { kind: 'compressed', format, container: CONTAINERS[format] };
}

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

/**
 * An upstream's answer as float PCM, whatever it actually sent. The file's own first bytes decide
 * (an upstream asked for WAV may still send mp3); raw PCM has no magic number and can look like
 * anything, so an answer to a PCM request counts as a file only when its Content-Type names one too.
 * WAV and PCM are read in-process; other files go through ffmpeg, and without ffmpeg the error says so.
 */
export async function readUpstreamAudio(
  provider: string,
  response: UpstreamResponse,
  asked: AskedEncoding,
  decoder: AudioDecoder,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<SynthesizedAudio> {
  const contentType = response.headers['content-type'];
  const sniffed = sniffContainer(response.body);
  const container =
    asked.kind === 'pcm'
      ? containerOfMediaType(contentType) && sniffed
      : (sniffed ?? (asked.kind === 'compressed' ? asked.container : undefined));
  if (container === undefined)
    return asked.kind === 'pcm' ? audioFromPcm16(provider, response.body, asked.sampleRate) : audioFromWav(provider, response.body);
  if (container === 'wav') return audioFromWav(provider, response.body);
  try {
    return await decoder.decode(response.body, container, options);
  } catch (error) {
    throw decodeError(provider, container, asked, error, options);
  }
}

function decodeError(
  provider: string,
  container: AudioContainer,
  asked: AskedEncoding,
  error: unknown,
  options: { signal: AbortSignal; timeoutMs: number },
): UpstreamError {
  if (!(error instanceof AudioDecodeError)) return unreadable(provider, `${container} that could not be decoded`, error);
  switch (error.reason) {
    case 'no_decoder': {
      const instead = asked.kind === 'compressed' ? '' : ` (asked for ${asked.kind})`;
      return new UpstreamError(
        'provider_unavailable',
        `${provider} sent ${container} audio${instead}; ${error.message}. Set FFMPEG_PATH, or configure the provider to answer wav or pcm.`,
        false,
        { provider, cause: error },
      );
    }
    case 'aborted':
    case 'timed_out':
      return options.signal.aborted && !isTimeoutReason(options.signal.reason)
        ? new UpstreamError('provider_unavailable', `${provider}: call cancelled by the caller`, false, { provider, cause: error })
        : transportError(provider, 'timeout', `${options.timeoutMs} ms, while decoding its ${container} audio`, error);
    case 'unreadable':
      return unreadable(provider, error.message, error);
    case 'too_large':
      return new UpstreamError('provider_unavailable', `${provider}: ${error.message}; decoding was stopped`, false, {
        provider,
        cause: error,
      });
  }
}

export function unreadable(provider: string, detail: string, cause?: unknown): UpstreamError {
  return new UpstreamError('provider_unavailable', `${provider} sent audio that cannot be read: ${detail}`, false, { provider, cause });
}

/** Speed knobs upstreams accept, clamped to their documented range. */
export function clampSpeed(speakingRate: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, speakingRate));
}
