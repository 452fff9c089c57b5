import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../../common/request-context';
import { SpeechService } from '../../synthesis/speech.service';
import { AccountService } from '../../tenants/account.service';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { TenantsService } from '../../tenants/tenants.service';
import { toElevenLabsModels, toElevenLabsSubscription, toElevenLabsUser } from './elevenlabs-catalog.mapper';
import { ELEVENLABS_MAX_TEXT_CHARACTERS } from './elevenlabs-request.parser';
import { elevenLabsPath } from './elevenlabs-routes';

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
}
