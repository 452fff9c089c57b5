import { Body, Controller, Get, Patch, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';
import type { Principal } from '../common/request-context';
import { AccountService, PresentedKeyView } from './account.service';
import { ApiKeyGuard, CurrentPrincipal } from './api-key.guard';
import { TenantsService } from './tenants.service';

export class AccountUpdateDto {
  @ApiPropertyOptional({
    description: 'Record a low-balance crossing (usage report, metric) when the balance drops below this; null turns the signal off.',
    type: Number,
    nullable: true,
    minimum: 0,
    example: 10000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  low_balance_threshold?: number | null;
}

class AccountViewDto {
  @ApiProperty({ example: { id: '…', name: 'Acme' } })
  tenant!: { id: string; name: string };

  @ApiProperty({ format: 'uuid' })
  api_key_id!: string;

  @ApiProperty({ description: 'The presented key: name, prefix, budget and its spend in the current period.' })
  api_key!: PresentedKeyView;

  @ApiProperty({ example: { balance: 12000, reserved: 40 } })
  credits!: { balance: number; reserved: number };

  @ApiProperty({ type: Number, nullable: true })
  low_balance_threshold!: number | null;
}

/** Who the presented key belongs to and what it can spend: the simplest authenticated call. */
@ApiTags('Account')
@ApiSecurity('xi-api-key')
@Controller('v1/account')
@UseGuards(ApiKeyGuard)
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly tenants: TenantsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The account, its balance, and the presented key’s budget and spend' })
  @ApiOkResponse({ type: AccountViewDto })
  async show(@CurrentPrincipal() principal: Principal): Promise<AccountViewDto> {
    const [credits, apiKey, tenant] = await Promise.all([
      this.account.creditsOf(principal.tenantId),
      this.account.presentedKey(principal.apiKeyId),
      this.tenants.get(principal.tenantId),
    ]);
    return {
      tenant: { id: principal.tenantId, name: principal.tenantName },
      api_key_id: principal.apiKeyId,
      api_key: apiKey,
      credits,
      low_balance_threshold: tenant.lowBalanceThreshold,
    };
  }

  @Patch()
  @ApiOperation({
    summary: 'Set the low-balance threshold',
    description: 'A new threshold re-arms the signal; a balance already below it counts as a crossing.',
  })
  @ApiBody({ type: AccountUpdateDto })
  @ApiOkResponse({ type: AccountViewDto })
  async update(@CurrentPrincipal() principal: Principal, @Body() body: AccountUpdateDto): Promise<AccountViewDto> {
    if (body.low_balance_threshold !== undefined) await this.tenants.setLowBalanceThreshold(principal.tenantId, body.low_balance_threshold);
    return this.show(principal);
  }
}
