import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import type { ApiKeyEntity } from '../../tenants/api-key.entity';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { ApiKeysService } from '../../tenants/api-keys.service';
import { keySpend, parseKeyBudget } from '../../tenants/key-budget';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { SautiProblemResponses } from './sauti-openapi';
import {
  SautiApiKeyDto,
  SautiApiKeyListDto,
  SautiCreateKeyDto,
  SautiCreatedApiKeyDto,
  SautiKeysQueryDto,
  SautiUpdateKeyDto,
} from './sauti-keys.dto';

const BUDGET_FIELDS = { creditLimit: 'credit_limit', period: 'period' };

function toKey(key: ApiKeyEntity): SautiApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    budget: keySpend(key),
  };
}

/**
 * The account's API keys, managed by the account itself. A key with a budget may list keys but not
 * create, change or delete them: otherwise the key handed to a contractor could lift its own cap or
 * mint an uncapped one. Keys are never shown again after creation; deleting one revokes it.
 */
@ApiTags('API keys')
@ApiSecurity('xi-api-key')
@Controller('v1/keys')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({
    summary: "List the account's API keys",
    description: 'Names, prefixes, creation and last use, budget and spend; never the secret.',
  })
  @ApiOkResponse({ type: SautiApiKeyListDto })
  @SautiProblemResponses(401, 422, 429)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: SautiKeysQueryDto): Promise<SautiApiKeyListDto> {
    const keys = await this.apiKeys.list(principal.tenantId);
    return { keys: keys.filter((key) => query.include_revoked || !key.revokedAt).map(toKey) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an API key',
    description: 'The answer holds the key itself, shown only here. Optionally with a budget.',
  })
  @ApiBody({ type: SautiCreateKeyDto })
  @ApiCreatedResponse({ type: SautiCreatedApiKeyDto })
  @SautiProblemResponses(401, 403, 415, 422, 429)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: SautiCreateKeyDto): Promise<SautiCreatedApiKeyDto> {
    await this.requireKeyManager(principal);
    const budget = parseKeyBudget({ creditLimit: body.credit_limit ?? null, period: body.period }, BUDGET_FIELDS);
    const { key, plaintext } = await this.apiKeys.create(principal.tenantId, body.name ?? 'api', budget);
    return { ...toKey(key), secret: plaintext };
  }

  @Get(':key_id')
  @ApiOperation({ summary: 'Get an API key', description: 'Its budget and what it has spent in the current period.' })
  @ApiParam({ name: 'key_id', format: 'uuid' })
  @ApiOkResponse({ type: SautiApiKeyDto })
  @SautiProblemResponses(401, 404, 429)
  async get(@CurrentPrincipal() principal: Principal, @Param('key_id') keyId: string): Promise<SautiApiKeyDto> {
    return toKey(await this.apiKeys.getOfTenant(principal.tenantId, keyId));
  }

  @Patch(':key_id')
  @ApiOperation({
    summary: "Change an API key's name or budget",
    description:
      'credit_limit null removes the budget. A new period counts what the key already spent in it; the same period keeps counting.',
  })
  @ApiParam({ name: 'key_id', format: 'uuid' })
  @ApiBody({ type: SautiUpdateKeyDto })
  @ApiOkResponse({ type: SautiApiKeyDto })
  @SautiProblemResponses(401, 403, 404, 415, 422, 429)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('key_id') keyId: string,
    @Body() body: SautiUpdateKeyDto,
  ): Promise<SautiApiKeyDto> {
    await this.requireKeyManager(principal);
    const key = await this.apiKeys.getOfTenant(principal.tenantId, keyId);
    if (key.revokedAt) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    if (body.name !== undefined) await this.apiKeys.rename(key.id, principal.tenantId, body.name);
    if (body.credit_limit !== undefined || body.period !== undefined) {
      const budget = parseKeyBudget({ creditLimit: body.credit_limit, period: body.period }, BUDGET_FIELDS, {
        creditLimit: key.creditLimit,
        period: key.budgetPeriod,
      });
      await this.apiKeys.setBudget(key.id, budget, principal.tenantId);
    }
    return toKey(await this.apiKeys.getOfTenant(principal.tenantId, keyId));
  }

  @Delete(':key_id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete (revoke) an API key',
    description: 'It stops working at once. The last active key of an account cannot be deleted.',
  })
  @ApiParam({ name: 'key_id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @SautiProblemResponses(401, 403, 404, 429)
  async remove(@CurrentPrincipal() principal: Principal, @Param('key_id') keyId: string): Promise<void> {
    await this.requireKeyManager(principal);
    await this.apiKeys.revokeOfTenant(principal.tenantId, keyId);
  }

  private async requireKeyManager(principal: Principal): Promise<void> {
    const own = await this.apiKeys.getOfTenant(principal.tenantId, principal.apiKeyId);
    if (own.creditLimit !== null)
      throw new TtsError('forbidden', 'A key with a budget cannot create, change or delete API keys; use a key without a budget.');
  }
}
