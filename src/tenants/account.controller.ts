import { Controller, Get, UseGuards } from '@nestjs/common';
import type { Principal } from '../common/request-context';
import { AccountService } from './account.service';
import { ApiKeyGuard, CurrentPrincipal } from './api-key.guard';

/** Who the presented key belongs to and what it can spend: the simplest authenticated call. */
@Controller('v1/account')
@UseGuards(ApiKeyGuard)
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Get()
  async show(@CurrentPrincipal() principal: Principal) {
    return {
      tenant: { id: principal.tenantId, name: principal.tenantName },
      api_key_id: principal.apiKeyId,
      credits: await this.account.creditsOf(principal.tenantId),
    };
  }
}
