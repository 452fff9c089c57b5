import { applyDecorators, Controller, createParamDecorator, ExecutionContext, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ServiceRequest } from '../../common/request-context';
import { ApiKeyGuard } from '../../tenants/api-key.guard';
import { Admitted, KeyRateLimitGuard, RateLimit } from '../../tenants/key-rate-limit';
import { DEFAULT_OUTPUT_FORMAT, ELEVENLABS_OUTPUT_FORMATS } from './elevenlabs-output-format';
import { elevenLabsPath } from './elevenlabs-routes';
import { ElevenLabsCall, ElevenLabsSpeechService } from './elevenlabs-speech.service';

type QueryParams = Record<string, unknown>;

/** The request body as ElevenLabs documents it (validated by the face's parser, not a DTO: unknown fields are ignored, as ElevenLabs does). */
const SPEECH_BODY = {
  schema: {
    type: 'object',
    required: ['text'],
    properties: {
      text: { type: 'string', example: 'Habari ya asubuhi.' },
      model_id: {
        type: 'string',
        description: 'Accepted; the voice decides the engine (GET /v1/models). Another value is named in x-ignored-fields.',
      },
      language_code: { type: 'string' },
      voice_settings: {
        type: 'object',
        properties: {
          stability: { type: 'number' },
          similarity_boost: { type: 'number' },
          style: { type: 'number' },
          use_speaker_boost: { type: 'boolean' },
          speed: { type: 'number', minimum: 0.7, maximum: 1.2 },
        },
      },
      seed: { type: 'integer' },
      previous_text: { type: 'string' },
      next_text: { type: 'string' },
      apply_text_normalization: { type: 'string', enum: ['auto', 'on', 'off'] },
      pronunciation_dictionary_locators: { type: 'array', items: { type: 'object' } },
    },
  },
};

/** The OpenAPI description every text-to-speech operation shares. */
function SpeechOperation(summary: string, produces: string[]) {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiParam({ name: 'voice_id', type: String, example: 'sauti-swahili-v1' }),
    ApiQuery({ name: 'output_format', required: false, enum: ELEVENLABS_OUTPUT_FORMATS, example: DEFAULT_OUTPUT_FORMAT }),
    ApiQuery({ name: 'optimize_streaming_latency', required: false, type: Number }),
    ApiQuery({ name: 'enable_logging', required: false, type: Boolean }),
    ApiBody(SPEECH_BODY),
    ApiProduces(...produces),
    ApiResponse({ status: 200, description: 'Audio (or JSON with timestamps); x-ignored-fields names what had no effect.' }),
    ApiResponse({ status: 401, description: 'invalid_api_key, or quota_exceeded when the credits do not cover the text' }),
    ApiResponse({ status: 404, description: 'voice_not_found' }),
    ApiResponse({ status: 422, description: 'Validation error: {"detail": [{type, loc, msg, input}]}' }),
  );
}

/**
 * What every endpoint hands the service: who asks (tenant, key, from ApiKeyGuard), the voice in the path,
 * the body and the query as sent (the service validates them in ElevenLabs' words). Documented by
 * SpeechOperation.
 */
const SpeechCall = createParamDecorator((_data: unknown, context: ExecutionContext): ElevenLabsCall => {
  const request = context.switchToHttp().getRequest<ServiceRequest>();
  const principal = request.principal;
  if (!principal) throw new Error('SpeechCall used on a route without ApiKeyGuard');
  return {
    tenantId: principal.tenantId,
    apiKeyId: principal.apiKeyId,
    voiceId: request.params.voice_id as string,
    body: request.body as unknown,
    query: request.query as QueryParams,
  };
});

const AUDIO_TYPES = ['audio/mpeg', 'audio/pcm', 'audio/basic', 'audio/x-alaw-basic', 'audio/ogg'];

/** ElevenLabs' text-to-speech endpoints, under /elevenlabs. */
@ApiTags('ElevenLabs: text to speech')
@ApiSecurity('xi-api-key')
@Controller(elevenLabsPath('v1/text-to-speech'))
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class ElevenLabsTextToSpeechController {
  constructor(private readonly speech: ElevenLabsSpeechService) {}

  @Post(':voice_id')
  @HttpCode(200)
  @RateLimit('requests')
  @SpeechOperation('Convert text to speech (the whole file)', AUDIO_TYPES)
  async convert(
    @SpeechCall() call: ElevenLabsCall,
    @Req() request: ServiceRequest,
    @Res() response: Response,
    @Admitted({ ahead: true }) _admitted: void,
  ): Promise<void> {
    await this.speech.convert(call, { request, response });
  }

  @Post(':voice_id/stream')
  @HttpCode(200)
  @RateLimit('requests')
  @SpeechOperation('Stream speech as it is produced (chunked)', AUDIO_TYPES)
  async stream(
    @SpeechCall() call: ElevenLabsCall,
    @Req() request: ServiceRequest,
    @Res() response: Response,
    @Admitted({ ahead: true }) _admitted: void,
  ): Promise<void> {
    await this.speech.stream(call, { request, response });
  }

  @Post(':voice_id/with-timestamps')
  @HttpCode(200)
  @RateLimit('requests')
  @SpeechOperation('Speech with character timings (JSON: audio_base64, alignment, normalized_alignment)', ['application/json'])
  async withTimestamps(
    @SpeechCall() call: ElevenLabsCall,
    @Req() request: ServiceRequest,
    @Res() response: Response,
    @Admitted() _admitted: void,
  ): Promise<void> {
    await this.speech.withTimestamps(call, { request, response });
  }

  @Post(':voice_id/stream/with-timestamps')
  @HttpCode(200)
  @RateLimit('requests')
  @SpeechOperation('Stream speech with character timings (one JSON object per line)', ['application/x-ndjson'])
  async streamWithTimestamps(
    @SpeechCall() call: ElevenLabsCall,
    @Req() request: ServiceRequest,
    @Res() response: Response,
    @Admitted() _admitted: void,
  ): Promise<void> {
    await this.speech.streamWithTimestamps(call, { request, response });
  }
}
