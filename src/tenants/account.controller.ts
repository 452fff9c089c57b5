import { Controller, Get, UseGuards } from '@nestjs/common';
import { CreditsService } from '../billing/credits.service';
import type { Principal } from '../common/request-context';
import { ApiKeyGuard, CurrentPrincipal } from './api-key.guard';

/** Who the presented key belongs to and what it can spend: the simplest authenticated call. */
@Controller('v1/account')
@UseGuards(ApiKeyGuard)
export class AccountController {
  constructor(private readonly credits: CreditsService) {}

  @Get()
  async show(@CurrentPrincipal() principal: Principal) {
    const summary = await this.credits.summary(principal.tenantId);
    return {
      tenant: { id: principal.tenantId, name: principal.tenantName },
      api_key_id: principal.apiKeyId,
      credits: { balance: summary.balance, reserved: summary.reserved },
    };
  }
}
