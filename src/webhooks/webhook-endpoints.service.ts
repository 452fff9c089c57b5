import { Inject, Injectable } from '@nestjs/common';
import { TtsError } from '../common/tts-error';
import { AppConfig } from '../config/app-config';
import { WebhookAddressGuard, WebhookAddressRefused } from './webhook-address-guard';
import { EndpointChanges, WebhookEndpoint, WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { isEndpointId, newEndpointId, WEBHOOK_EVENT_TYPES, WebhookEventType } from './webhook-events';
import { newWebhookSecret } from './webhook-signature';

/** Enough for a staging and a production receiver per event, with room; a cap keeps fan-out bounded. */
export const MAX_ENDPOINTS_PER_TENANT = 20;
const FOREIGN_KEY_VIOLATION = '23503';

export interface NewEndpoint {
  url: string;
  events?: WebhookEventType[];
  description?: string | null;
}

/** An endpoint with its secret in plaintext: answered once, at creation or rotation. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

/**
 * Registering, listing, changing and removing a tenant's endpoints (api and CLI). `tenantId`
 * undefined is the operator's CLI, which may name any tenant's endpoint.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    @Inject(WebhookAddressGuard) private readonly guard: WebhookAddressGuard,
    private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, input: NewEndpoint): Promise<EndpointWithSecret> {
    const url = await this.checkedUrl(input.url);
    const events = this.checkedEvents(input.events);
    if ((await this.endpoints.countForTenant(tenantId)) >= MAX_ENDPOINTS_PER_TENANT) {
      throw new TtsError('invalid_request', `An account may register at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints.`, {
        field: 'url',
      });
    }
    const secret = newWebhookSecret();
    try {
      const endpoint = await this.endpoints.insert({
        id: newEndpointId(),
        tenantId,
        url,
        description: input.description ?? null,
        events,
        secret,
      });
      return { endpoint, secret };
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION)
        throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
      throw error;
    }
  }

  list(tenantId: string | undefined): Promise<WebhookEndpoint[]> {
    return this.endpoints.list(tenantId);
  }

  async get(tenantId: string | undefined, id: string): Promise<WebhookEndpoint> {
    return this.found(id, isEndpointId(id) ? await this.endpoints.find(tenantId, id) : undefined);
  }

  async remove(tenantId: string | undefined, id: string): Promise<void> {
    if (!isEndpointId(id) || !(await this.endpoints.delete(tenantId, id))) this.found(id, undefined);
  }

  /** A new secret; the old one keeps signing beside it for WEBHOOK_SECRET_GRACE_SECONDS. */
  async rotateSecret(tenantId: string | undefined, id: string): Promise<EndpointWithSecret> {
    if (!isEndpointId(id)) this.found(id, undefined);
    const secret = newWebhookSecret();
    const endpoint = this.found(id, await this.endpoints.rotateSecret(tenantId, id, secret, this.config.webhooks.secretGraceSeconds));
    return { endpoint, secret };
  }

  async update(tenantId: string | undefined, id: string, changes: EndpointChanges): Promise<WebhookEndpoint> {
    if (!isEndpointId(id)) this.found(id, undefined);
    const checked: EndpointChanges = { ...changes };
    if (changes.url !== undefined) checked.url = await this.checkedUrl(changes.url);
    if (changes.events !== undefined) checked.events = this.checkedEvents(changes.events);
    return this.found(id, await this.endpoints.update(tenantId, id, checked));
  }

  /** The SSRF rules at registration, so a tenant learns at once; every attempt checks again. */
  private async checkedUrl(raw: string): Promise<string> {
    try {
      const url = this.guard.parseUrl(raw.trim());
      await this.guard.resolve(url);
      return url.toString();
    } catch (error) {
      if (error instanceof WebhookAddressRefused) throw new TtsError('invalid_request', `Field 'url': ${error.message}`, { field: 'url' });
      throw error;
    }
  }

  private checkedEvents(events: readonly string[] | undefined): WebhookEventType[] {
    if (events === undefined) return [...WEBHOOK_EVENT_TYPES];
    const unknown = events.filter((event) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event));
    if (unknown.length > 0 || events.length === 0) {
      throw new TtsError('invalid_request', `Field 'events' must list one or more of ${WEBHOOK_EVENT_TYPES.join(', ')}.`, {
        field: 'events',
      });
    }
    return [...new Set(events as WebhookEventType[])];
  }

  private found(id: string, endpoint: WebhookEndpoint | undefined): WebhookEndpoint {
    if (!endpoint) throw new TtsError('not_found', `Webhook endpoint ${JSON.stringify(id)} was not found.`);
    return endpoint;
  }
}
