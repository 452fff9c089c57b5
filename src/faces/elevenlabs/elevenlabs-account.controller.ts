import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../../common/request-context';
import { SpeechService } from '../../synthesis/speech.service';
import { AccountService } from '../../tenants/account.service';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { TenantsService } from '../../tenants/tenants.service';
import { UsageService } from '../../usage/usage.service';
import { toElevenLabsModels, toElevenLabsSubscription, toElevenLabsUser } from './elevenlabs-catalog.mapper';
import { ELEVENLABS_MAX_TEXT_CHARACTERS } from './elevenlabs-request.parser';
import { elevenLabsPath } from './elevenlabs-routes';
import { parseCharacterStatsQuery, toCharacterStats } from './elevenlabs-usage';

/** ElevenLabs' models, user and subscription, from the engines and the tenant's credits, under /elevenlabs. */
@ApiTags('ElevenLabs: account and models')
@ApiSecurity('xi-api-key')
@Controller(elevenLabsPath('v1'))
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class ElevenLabsAccountController {
  constructor(
    private readonly speech: SpeechService,
    private readonly account: AccountService,
    private readonly tenants: TenantsService,
    private readonly usage: UsageService,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'One model per engine that serves a voice, with its languages' })
  models() {
    return toElevenLabsModels(this.speech.voices(), ELEVENLABS_MAX_TEXT_CHARACTERS);
  }

  @Get('user')
  @ApiOperation({ summary: 'The tenant behind the key, with its subscription (character count and limit from its credits)' })
  async user(@CurrentPrincipal() principal: Principal) {
    const [tenant, usage] = await Promise.all([this.tenants.get(principal.tenantId), this.account.usageOf(principal.tenantId)]);
    return toElevenLabsUser(tenant, usage);
  }

  @Get('user/subscription')
  @ApiOperation({ summary: "The tenant's credits as a subscription: character_limit granted, character_count used" })
  async subscription(@CurrentPrincipal() principal: Principal) {
    return toElevenLabsSubscription(await this.account.usageOf(principal.tenantId));
  }

  @Get('usage/character-stats')
  @ApiOperation({
    summary: "The tenant's usage over time, from the usage report (docs/usage.md): credits, characters, requests or minutes per bucket",
  })
  @ApiQuery({ name: 'start_unix', required: true, description: 'Start of the window, Unix milliseconds (inclusive)' })
  @ApiQuery({ name: 'end_unix', required: true, description: 'End of the window, Unix milliseconds (inclusive, to the millisecond)' })
  @ApiQuery({ name: 'aggregation_interval', required: false, enum: ['hour', 'day', 'month', 'cumulative'] })
  @ApiQuery({ name: 'breakdown_type', required: false, enum: ['none', 'voice', 'api_keys', 'all_api_keys', 'model'] })
  @ApiQuery({ name: 'metric', required: false, enum: ['credits', 'tts_characters', 'request_count', 'minutes_used'] })
  async characterStats(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const stats = parseCharacterStatsQuery(query);
    return toCharacterStats(await this.usage.report(principal.tenantId, stats.usage), stats);
  }
}
