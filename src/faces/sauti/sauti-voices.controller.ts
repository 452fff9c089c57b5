import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { TtsError } from '../../common/tts-error';
import { SpeechService } from '../../synthesis/speech.service';
import { ApiKeyGuard } from '../../tenants/api-key.guard';
import { SautiProblemResponses } from './sauti-openapi';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { toVoice } from './sauti-response.mapper';
import { SautiVoiceDto, SautiVoiceListDto } from './sauti-voice.dto';

@ApiTags('Voices')
@ApiSecurity('xi-api-key')
@Controller('v1/voices')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiVoicesController {
  constructor(private readonly speech: SpeechService) {}

  @Get()
  @ApiOperation({
    summary: 'List voices',
    description: 'Each voice with its sample rate, engine and whether a fallback currently serves it.',
  })
  @ApiOkResponse({ type: SautiVoiceListDto })
  @SautiProblemResponses(401, 429)
  list(): SautiVoiceListDto {
    return { voices: this.speech.voices().map(toVoice) };
  }

  @Get(':voice_id')
  @ApiOperation({ summary: 'Get one voice' })
  @ApiParam({ name: 'voice_id', example: 'sauti-swahili-v1' })
  @ApiOkResponse({ type: SautiVoiceDto })
  @SautiProblemResponses(401, 404, 429)
  show(@Param('voice_id') voiceId: string): SautiVoiceDto {
    const voice = this.speech.voice(voiceId);
    if (!voice)
      throw new TtsError('unknown_voice', `Voice '${voiceId}' was not found; GET /v1/voices lists the available voices.`, {
        field: 'voice_id',
      });
    return toVoice(voice);
  }
}
