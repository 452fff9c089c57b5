import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { answeredAfterAdmission, pendingAdmission, type Principal, type ServiceRequest } from '../../common/request-context';
import { SpeechService } from '../../synthesis/speech.service';
import type { SpeechStream } from '../../synthesis/speech.types';
import { abortOnDisconnect } from '../../common/http/abort-on-disconnect';
import { sendAudioFile, sendAudioStream, sendSseStream } from '../shared/audio-response';
import { openAiErrorClass } from './openai-error.envelope';
import { cacheStatusHeader, withCacheControl } from '../shared/cache-control';
import type { OpenAiSpeechRequestDto } from './openai-speech.dto';
import { OPENAI_FIELD_NAMES, toSynthesisRequest } from './openai-speech.mapper';

/** Headers naming who served and which fields that provider did not honour. */
export function servedHeaders(speech: Pick<SpeechStream, 'provider' | 'ignoredFields' | 'cache'>): Record<string, string> {
  return {
    'x-tts-provider': speech.provider,
    ...cacheStatusHeader(speech.cache),
    ...(speech.ignoredFields.length > 0 ? { 'x-ignored-fields': speech.ignoredFields.join(', ') } : {}),
  };
}

/** Files whose header states their length: a file client gets them whole, with exact sizes, when the length is not known up front. */
const NEEDS_WHOLE = new Set(['wav', 'flac']);

/**
 * OpenAI-compatible speech, streamed as it is produced in all three shapes: the file (chunked, or with
 * its length when known), `stream_format: "audio"` and `"sse"`. The exception is a WAV or FLAC file we
 * encode whose length is not known before it ends, and a provider's WAV whose header holds streaming
 * placeholders: a file's header must carry exact sizes, so it is sent whole.
 */
@Injectable()
export class OpenAiSpeechService {
  constructor(private readonly speech: SpeechService) {}

  async speak(
    principal: Pick<Principal, 'tenantId' | 'apiKeyId'>,
    dto: OpenAiSpeechRequestDto,
    http: { request: ServiceRequest; response: Response },
  ): Promise<void> {
    const { response } = http;
    // Admitted ahead of the rate limit: its refusal (429) still comes before what the request names wrongly.
    const prepared = await answeredAfterAdmission(pendingAdmission(http.request).admission, () =>
      this.speech.prepare(withCacheControl(toSynthesisRequest(dto), http.request.headers['cache-control']), OPENAI_FIELD_NAMES),
    );
    await abortOnDisconnect(response, async (signal) => {
      const caller = {
        tenantId: principal.tenantId,
        apiKeyId: principal.apiKeyId,
        requestId: http.request.id,
        face: 'openai' as const,
        ...pendingAdmission(http.request),
      };
      const speech = await this.speech.stream(prepared, caller, signal);
      const headers = servedHeaders(speech);
      if (dto.stream_format === 'sse') return sendSseStream(response, speech, headers, SSE_EVENTS(prepared.request.characters));
      // Sizes already exact: a length known up front, or a provider's own file whose header states them (its FLAC is sent as it is).
      const exact = speech.byteLength !== undefined || (speech.passedThrough && (speech.format !== 'wav' || speech.sizesStated === true));
      const whole = !dto.stream_format && NEEDS_WHOLE.has(speech.format) && !exact;
      if (!whole) return sendAudioStream(response, speech, dto.stream_format ? { ...headers, 'cache-control': 'no-store' } : headers);
      const file = await this.speech.collect(speech);
      speech.markDelivered();
      sendAudioFile(response, file.bytes, speech.contentType, headers);
    });
  }
}

/** OpenAI's speech events: `speech.audio.delta` (base64 of the next bytes; concatenated they are one file), then `speech.audio.done` with usage. */
const SSE_EVENTS = (characters: number) => ({
  delta: (audio: Buffer) => ({ type: 'speech.audio.delta', audio: audio.toString('base64') }),
  done: () => ({ type: 'speech.audio.done', usage: { input_tokens: characters, output_tokens: 0, total_tokens: characters } }),
  error: (error: Parameters<typeof openAiErrorClass>[0]) => ({
    type: 'error',
    error: { message: error.message, type: openAiErrorClass(error).type, param: error.field ?? null, code: error.code },
  }),
});
