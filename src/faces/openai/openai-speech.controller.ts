import { All, Body, Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import type { Principal, ServiceRequest } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { Admitted, KeyRateLimitGuard, RateLimit } from '../../tenants/key-rate-limit';
import { OpenAiSpeechRequestDto } from './openai-speech.dto';
import { OpenAiSpeechService } from './openai-speech.service';

/** OpenAI's `POST /v1/audio/speech`. */
@Controller('v1/audio/speech')
export class OpenAiSpeechController {
  constructor(private readonly speech: OpenAiSpeechService) {}

  @Post()
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimit('requests')
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: OpenAiSpeechRequestDto,
    @Req() request: ServiceRequest,
    @Res() response: Response,
    @Admitted({ ahead: true }) _admitted: void,
  ): Promise<void> {
    await this.speech.speak(principal, body, { request, response });
  }

  /** Express answers other methods with 404; the path exists, so say which method it takes. */
  @All()
  methodNotAllowed(@Res() response: Response): never {
    response.setHeader('allow', 'POST');
    throw new TtsError('method_not_allowed', 'Use POST to create speech.');
  }
}
