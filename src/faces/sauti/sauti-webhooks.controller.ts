import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
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
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import type { WebhookDelivery } from '../../webhooks/webhook-deliveries.repository';
import { WebhookDeliveriesService } from '../../webhooks/webhook-deliveries.service';
import type { WebhookEndpoint } from '../../webhooks/webhook-endpoints.repository';
import { WebhookEndpointsService } from '../../webhooks/webhook-endpoints.service';
import { SautiProblemResponses } from './sauti-openapi';
import {
  SautiCreateWebhookDto,
  SautiUpdateWebhookDto,
  SautiWebhookDeliveriesQueryDto,
  SautiWebhookDeliveryDto,
  SautiWebhookDeliveryListDto,
  SautiWebhookDto,
  SautiWebhookListDto,
  SautiWebhookWithSecretDto,
} from './sauti-webhook.dto';

const iso = (date: Date | null) => date?.toISOString() ?? null;
const DEFAULT_PAGE = 50;

function toWebhook(endpoint: WebhookEndpoint): SautiWebhookDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    disabled_at: iso(endpoint.disabledAt),
    failing_since: iso(endpoint.failingSince),
    previous_secret_expires_at:
      endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date() ? iso(endpoint.previousSecretExpiresAt) : null,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}

function toDelivery(delivery: WebhookDelivery): SautiWebhookDeliveryDto {
  return {
    id: delivery.id,
    event_type: delivery.eventType,
    job_id: delivery.jobId,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    last_attempt_at: iso(delivery.lastAttemptAt),
    next_attempt_at: iso(delivery.nextAttemptAt),
    delivered_at: iso(delivery.deliveredAt),
    created_at: delivery.createdAt.toISOString(),
  };
}

/** Completion webhooks of the caller's account: endpoints, secrets, the delivery log and retries. */
@ApiTags('Webhooks')
@ApiSecurity('xi-api-key')
@Controller('v1/webhooks')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiWebhooksController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description: 'Events of jobs from every face are signed per Standard Webhooks. The answer holds the secret, shown only here.',
  })
  @ApiBody({ type: SautiCreateWebhookDto })
  @ApiCreatedResponse({ type: SautiWebhookWithSecretDto })
  @SautiProblemResponses(401, 415, 422, 429)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: SautiCreateWebhookDto): Promise<SautiWebhookWithSecretDto> {
    const { endpoint, secret } = await this.endpoints.create(principal.tenantId, body);
    return { ...toWebhook(endpoint), secret };
  }

  @Get()
  @ApiOperation({ summary: "List the account's webhook endpoints" })
  @ApiOkResponse({ type: SautiWebhookListDto })
  @SautiProblemResponses(401, 429)
  async list(@CurrentPrincipal() principal: Principal): Promise<SautiWebhookListDto> {
    return { webhooks: (await this.endpoints.list(principal.tenantId)).map(toWebhook) };
  }

  @Get(':webhook_id')
  @ApiOperation({ summary: 'Get a webhook endpoint', description: 'Shows whether it is enabled and, if not, why.' })
  @ApiParam({ name: 'webhook_id' })
  @ApiOkResponse({ type: SautiWebhookDto })
  @SautiProblemResponses(401, 404, 429)
  async get(@CurrentPrincipal() principal: Principal, @Param('webhook_id') id: string): Promise<SautiWebhookDto> {
    return toWebhook(await this.endpoints.get(principal.tenantId, id));
  }

  @Patch(':webhook_id')
  @ApiOperation({ summary: 'Change a webhook endpoint', description: 'URL, events, description; `enabled: true` re-enables it.' })
  @ApiParam({ name: 'webhook_id' })
  @ApiBody({ type: SautiUpdateWebhookDto })
  @ApiOkResponse({ type: SautiWebhookDto })
  @SautiProblemResponses(401, 404, 415, 422, 429)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('webhook_id') id: string,
    @Body() body: SautiUpdateWebhookDto,
  ): Promise<SautiWebhookDto> {
    return toWebhook(await this.endpoints.update(principal.tenantId, id, body));
  }

  @Delete(':webhook_id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a webhook endpoint',
    description: 'Its pending deliveries are not sent; its delivery log goes with it.',
  })
  @ApiParam({ name: 'webhook_id' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @SautiProblemResponses(401, 404, 429)
  async remove(@CurrentPrincipal() principal: Principal, @Param('webhook_id') id: string): Promise<void> {
    await this.endpoints.remove(principal.tenantId, id);
  }

  @Post(':webhook_id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: "Rotate an endpoint's signing secret",
    description: 'Deliveries carry signatures by the new and the old secret until previous_secret_expires_at.',
  })
  @ApiParam({ name: 'webhook_id' })
  @ApiOkResponse({ type: SautiWebhookWithSecretDto })
  @SautiProblemResponses(401, 404, 429)
  async rotate(@CurrentPrincipal() principal: Principal, @Param('webhook_id') id: string): Promise<SautiWebhookWithSecretDto> {
    const { endpoint, secret } = await this.endpoints.rotateSecret(principal.tenantId, id);
    return { ...toWebhook(endpoint), secret };
  }

  @Get(':webhook_id/deliveries')
  @ApiOperation({
    summary: "An endpoint's delivery log",
    description: 'Status, attempts, last error and next retry of each event, newest first.',
  })
  @ApiParam({ name: 'webhook_id' })
  @ApiOkResponse({ type: SautiWebhookDeliveryListDto })
  @SautiProblemResponses(401, 404, 422, 429)
  async deliveryLog(
    @CurrentPrincipal() principal: Principal,
    @Param('webhook_id') id: string,
    @Query() query: SautiWebhookDeliveriesQueryDto,
  ): Promise<SautiWebhookDeliveryListDto> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const page = await this.deliveries.list(principal.tenantId, id, { limit, before: query.before, status: query.status });
    return { deliveries: page.map(toDelivery), next_before: page.length === limit ? page[page.length - 1].id : null };
  }

  @Post(':webhook_id/deliveries/:delivery_id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a delivery again',
    description: 'Now, with the same webhook-id (receivers deduplicate on it); the retry schedule starts over if it fails.',
  })
  @ApiParam({ name: 'webhook_id' })
  @ApiParam({ name: 'delivery_id' })
  @ApiAcceptedResponse({ type: SautiWebhookDeliveryDto })
  @SautiProblemResponses(401, 404, 422, 429)
  async retry(
    @CurrentPrincipal() principal: Principal,
    @Param('webhook_id') id: string,
    @Param('delivery_id') deliveryId: string,
  ): Promise<SautiWebhookDeliveryDto> {
    return toDelivery(await this.deliveries.retry(principal.tenantId, id, deliveryId));
  }
}
