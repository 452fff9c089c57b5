import { All, Body, Controller, Get, Headers, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Principal } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard, RateLimit, RateLimitedByHandler } from '../../tenants/key-rate-limit';
import { BifrostSpeechRequestDto } from './bifrost-speech.dto';
import { BifrostReply, BifrostSpeechService } from './bifrost-speech.service';

function send(response: Response, reply: BifrostReply): void {
  for (const [name, value] of Object.entries(reply.headers)) response.setHeader(name, value);
  response.status(reply.status).json(reply.body);
}

/** Bifrost's async speech endpoints (`/v1/async/audio/speech`). */
@Controller('v1/async/audio/speech')
export class BifrostSpeechController {
  constructor(private readonly speech: BifrostSpeechService) {}

  /** `Idempotency-Key`: the same key and body return the same job (202, `idempotent-replayed: true`), uncharged. */
  @Post()
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimitedByHandler()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: BifrostSpeechRequestDto,
    @Headers('x-bf-async-job-result-ttl') ttl: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('cache-control') cacheControl: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    send(response, await this.speech.create(principal, body, { ttlHeader: ttl, idempotencyKey, cacheControl }, response));
  }

  @Get(':job_id')
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimit('job_polls')
  async poll(@CurrentPrincipal() principal: Principal, @Param('job_id') jobId: string, @Res() response: Response): Promise<void> {
    send(response, await this.speech.poll(principal.tenantId, jobId));
  }

  /** Express answers other methods with 404; the paths exist, so say which methods they take. */
  @All()
  collectionMethodNotAllowed(@Res() response: Response): never {
    response.setHeader('allow', 'POST');
    throw new TtsError('method_not_allowed', 'Use POST to create an async speech job.');
  }

  @All(':job_id')
  jobMethodNotAllowed(@Res() response: Response): never {
    response.setHeader('allow', 'GET');
    throw new TtsError('method_not_allowed', 'Use GET to poll an async speech job.');
  }
}
