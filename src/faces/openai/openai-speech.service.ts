import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { abortOnDisconnect } from '../../common/http/abort-on-disconnect';
import type { ServiceRequest } from '../../common/request-context';
import { ProviderRegistry } from '../../providers/provider.registry';
import { SynthesisService } from '../../synthesis/synthesis.service';
import type { OpenAiSpeechRequestDto } from './openai-speech.dto';
import { OPENAI_FIELD_NAMES, toSynthesisRequest } from './openai-speech.mapper';
import { OpenAiSpeechStreamer, servedHeaders } from './openai-speech.streamer';

/** OpenAI-compatible speech: the whole file, or streamed sentence by sentence as audio or SSE. */
@Injectable()
export class OpenAiSpeechService {
  constructor(
    private readonly synthesis: SynthesisService,
    private readonly streamer: OpenAiSpeechStreamer,
    private readonly registry: ProviderRegistry,
  ) {}

  async speak(tenantId: string, dto: OpenAiSpeechRequestDto, http: { request: ServiceRequest; response: Response }): Promise<void> {
    const request = toSynthesisRequest(dto);
    const route = await this.synthesis.validate(request, OPENAI_FIELD_NAMES);
    if (dto.stream_format) return this.streamer.stream(tenantId, request, route, dto.stream_format, http);
    // A client that hangs up stops the synthesis and is charged nothing, as with the streamed answers.
    const outcome = await abortOnDisconnect(http.response, (signal) =>
      this.synthesis.synthesizeNow(tenantId, request, { requestId: http.request.id, signal }),
    );
    http.response.writeHead(200, {
      ...servedHeaders(this.registry, outcome.provider, request),
      'content-type': outcome.audio.contentType,
      'content-length': String(outcome.audio.bytes.length),
    });
    http.response.end(outcome.audio.bytes);
  }
}
