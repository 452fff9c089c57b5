import { TtsError } from '../../common/tts-error';
import type { SynthesisRequest } from '../../synthesis/synthesis-request';
import { toSynthesisRequest as toOpenAiSynthesisRequest } from '../openai/openai-speech.mapper';
import type { BifrostSpeechRequestDto } from './bifrost-speech.dto';

/** Fields accepted for compatibility that no provider here acts on; reported back when set. */
export type BifrostInertField = 'enable_logging' | 'optimize_streaming_latency';

/**
 * The neutral request for a Bifrost speech body. Fields that cannot be honoured at all are refused
 * here, with the field named, rather than dropped.
 */
export function toSynthesisRequest(dto: BifrostSpeechRequestDto): SynthesisRequest {
  if (dto.stream_format === 'sse') {
    throw new TtsError(
      'invalid_request',
      "Field 'stream_format' cannot be 'sse' on an async request: async jobs do not stream. Use POST /v1/audio/speech to stream.",
      {
        field: 'stream_format',
      },
    );
  }
  if ((dto.pronunciation_dictionary_locators ?? []).length > 0) {
    throw new TtsError(
      'invalid_request',
      "Field 'pronunciation_dictionary_locators' is not supported: no provider here applies pronunciation dictionaries.",
      {
        field: 'pronunciation_dictionary_locators',
      },
    );
  }
  return {
    ...toOpenAiSynthesisRequest(dto),
    fallbacks: dto.fallbacks ?? [],
    ...(dto.language_code !== undefined ? { language: dto.language_code } : {}),
    ...(dto.with_timestamps ? { withTimestamps: true } : {}),
  };
}

/** The compatibility fields the client set; they change nothing and the client is told so. */
export function inertFieldsSet(dto: BifrostSpeechRequestDto): BifrostInertField[] {
  const set: BifrostInertField[] = [];
  if (dto.enable_logging !== undefined) set.push('enable_logging');
  if (dto.optimize_streaming_latency !== undefined) set.push('optimize_streaming_latency');
  return set;
}

/**
 * `x-bf-async-job-result-ttl`: whole seconds. Absent, non-numeric, zero or negative → the default,
 * as Bifrost does (a TTL of 0 would delete the result before anyone could read it).
 */
export function resultTtlFromHeader(value: string | string[] | undefined, defaultSeconds: number): number {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return defaultSeconds;
  const seconds = Number(raw.trim());
  return Number.isSafeInteger(seconds) && seconds > 0 && seconds <= 2_147_483_647 ? seconds : defaultSeconds;
}
