import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TtsError } from '../../common/tts-error';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { ADMIN_SESSION_COOKIE } from '../auth/admin-request';
import { AdminErrorResponses } from '../admin-openapi';
import {
  AdminApiKeyDto,
  AdminBalanceDto,
  AdminCreatedKeyDto,
  AdminCreatedTenantDto,
  AdminCreateKeyDto,
  AdminCreateTenantDto,
  AdminTenantDto,
  AdminTenantPageDto,
  AdminTenantQueryDto,
  AdminTopUpDto,
} from './admin-tenant.dto';
import { AdminTenantsService } from './admin-tenants.service';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

@ApiTags('Admin: tenants')
@ApiBearerAuth('admin-token')
@ApiCookieAuth(ADMIN_SESSION_COOKIE)
@Controller('admin/v1/tenants')
@UseGuards(AdminAuthGuard)
export class AdminTenantsController {
  constructor(private readonly tenants: AdminTenantsService) {}

  @Get()
  @ApiOperation({ summary: 'Tenants by name, with balance, reserved credits, spend today and this month, top voices' })
  @ApiOkResponse({ type: AdminTenantPageDto })
  @AdminErrorResponses(401, 404, 422)
  list(@Query() query: AdminTenantQueryDto): Promise<AdminTenantPageDto> {
    return this.tenants.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a tenant with its first API key (shown once) and opening credits, as `tenants create`' })
  @ApiCreatedResponse({ type: AdminCreatedTenantDto })
  @AdminErrorResponses(401, 403, 404, 422)
  create(@Body() body: AdminCreateTenantDto): Promise<AdminCreatedTenantDto> {
    return this.tenants.create(body.name, body.credits);
  }

  @Get(':tenantId')
  @ApiOperation({ summary: 'One tenant' })
  @ApiOkResponse({ type: AdminTenantDto })
  @AdminErrorResponses(401, 404)
  get(@Param('tenantId') tenantId: string): Promise<AdminTenantDto> {
    return this.tenants.get(tenantId);
  }

  @Post(':tenantId/credits')
  @HttpCode(200)
  @ApiOperation({ summary: 'Top up credits, as `credits topup`' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key tops up once, however often it is sent.' })
  @ApiOkResponse({ type: AdminBalanceDto })
  @AdminErrorResponses(401, 403, 404, 422)
  topUp(
    @Param('tenantId') tenantId: string,
    @Body() body: AdminTopUpDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<AdminBalanceDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey))
      throw new TtsError('invalid_request', 'Idempotency-Key must be 1-128 letters, digits, or . _ : -', { field: 'Idempotency-Key' });
    return this.tenants.topUp(tenantId, body.amount, idempotencyKey && `topup_admin_${tenantId}_${idempotencyKey}`);
  }

  @Get(':tenantId/keys')
  @ApiOperation({ summary: "A tenant's API keys (never the keys themselves), as `keys list`" })
  @ApiOkResponse({ type: [AdminApiKeyDto] })
  @AdminErrorResponses(401, 404)
  keys(@Param('tenantId') tenantId: string): Promise<AdminApiKeyDto[]> {
    return this.tenants.keys(tenantId);
  }

  @Post(':tenantId/keys')
  @ApiOperation({ summary: 'Create an API key, shown once, as `keys create`' })
  @ApiCreatedResponse({ type: AdminCreatedKeyDto })
  @AdminErrorResponses(401, 403, 404, 422)
  createKey(@Param('tenantId') tenantId: string, @Body() body: AdminCreateKeyDto): Promise<AdminCreatedKeyDto> {
    return this.tenants.createKey(tenantId, body.name);
  }

  @Delete(':tenantId/keys/:keyId')
  @ApiOperation({ summary: 'Revoke an API key, as `keys revoke` (takes effect within API_KEY_CACHE_TTL_MS everywhere)' })
  @ApiOkResponse({ type: AdminApiKeyDto })
  @AdminErrorResponses(401, 403, 404)
  revokeKey(@Param('tenantId') tenantId: string, @Param('keyId') keyId: string): Promise<AdminApiKeyDto> {
    return this.tenants.revokeKey(tenantId, keyId);
  }
}
