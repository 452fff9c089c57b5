import { Body, Controller, Headers, HttpCode, Param, Post, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ServiceRequest } from '../../common/request-context';
import { ApiKeyGuard } from '../../tenants/api-key.guard';
import { SautiJobAcceptedDto } from './sauti-job.dto';
import { SautiProblemResponses } from './sauti-openapi';
import { parseIdempotencyKey } from './sauti-request.parser';
import { SAUTI_HEADERS, setCostHeaders, toJobAccepted } from './sauti-response.mapper';
import { SautiSynthesisService } from './sauti-synthesis.service';
import { SautiTextToSpeechDto, SautiTextToSpeechResponseDto } from './sauti-text-to-speech.dto';
import { abortOnDisconnect } from '../../common/http/abort-on-disconnect';
import { CACHE_STATUS_HEADER } from '../shared/cache-control';
import { base64Of, jsonWithBase64 } from '../shared/json-with-audio';
import { Admitted, KeyRateLimitGuard, RateLimit } from '../../tenants/key-rate-limit';

@ApiTags('TTS')
@ApiSecurity('xi-api-key')
@Controller('v1/text-to-speech')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiTextToSpeechController {
  constructor(private readonly sauti: SautiSynthesisService) {}

  @Post(':voice_id')
  @RateLimit('requests')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Convert Swahili text into audio',
    description: 'Up to 2,000 characters: 200 with base64 WAV. 2,001–5,000: 202 with a job_id (see Async Jobs). Over 5,000: 422.',
  })
  @ApiParam({ name: 'voice_id', example: 'sauti-swahili-v1', description: 'The voice to use (see GET /v1/voices).' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Only for texts that become jobs: the same key and body return the same job.',
  })
  @ApiHeader({
    name: 'Cache-Control',
    required: false,
    description: '`no-store`: this request neither reads nor fills the audio cache. Answers say `x-cache: hit | miss | bypass`.',
  })
  @ApiBody({ type: SautiTextToSpeechDto })
  @ApiOkResponse({
    type: SautiTextToSpeechResponseDto,
    description: 'Audio for texts up to 2,000 characters.',
    headers: {
      'x-cache': {
        description: '`hit` (answered from the audio cache, charged the hit price), `miss` or `bypass`',
        schema: { type: 'string' },
      },
    },
  })
  @ApiAcceptedResponse({
    type: SautiJobAcceptedDto,
    description: 'Texts over 2,000 characters: a job, exactly as POST /v1/tts/jobs creates.',
  })
  @SautiProblemResponses(401, 402, 404, 413, 415, 422, 429, 503)
  async speak(
    @Param('voice_id') voiceId: string,
    // `unknown`: the global ValidationPipe leaves it alone; the Sauti parser checks it with the document's wording.
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('cache-control') cacheControl: string | undefined,
    @Req() request: ServiceRequest,
    @Res({ passthrough: true }) response: Response,
    @Admitted() _admitted: void,
  ): Promise<StreamableFile | SautiJobAcceptedDto> {
    const context = {
      tenantId: request.principal!.tenantId,
      apiKeyId: request.principal!.apiKeyId,
      limits: request.principal!.limits,
      requestId: request.id,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      cacheControl,
    };
    const speech = await abortOnDisconnect(response, (signal) => this.sauti.speak(voiceId, body, { ...context, signal }));
    if (speech.kind === 'job') {
      response.status(202);
      setCostHeaders(response, speech.job.characters, speech.job.credits, 'reserved');
      if (!speech.created) response.setHeader(SAUTI_HEADERS.idempotentReplay, 'true');
      return toJobAccepted(speech.job);
    }
    const { outcome } = speech;
    response.setHeader(SAUTI_HEADERS.provider, outcome.provider);
    response.setHeader(CACHE_STATUS_HEADER, outcome.cache);
    setCostHeaders(response, outcome.characters, outcome.credits, 'charged');
    const answer: Omit<SautiTextToSpeechResponseDto, 'audio_base64'> = {
      content_type: 'audio/wav',
      duration_seconds: Math.round(outcome.durationSeconds * 100) / 100,
      characters_synthesized: outcome.characters,
      voice_id: speech.voiceId,
    };
    return jsonWithBase64('audio_base64', base64Of(outcome), answer);
  }
}
