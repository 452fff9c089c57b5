import { DataSource } from 'typeorm';
import { WebhookAddressGuard } from '../webhooks/webhook-address-guard';
import type { WebhookEndpoint } from '../webhooks/webhook-endpoints.repository';
import { WebhookEndpointsRepository } from '../webhooks/webhook-endpoints.repository';
import { WebhookEndpointsService } from '../webhooks/webhook-endpoints.service';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, WebhookEventType } from '../webhooks/webhook-events';
import { CliArguments, CliCommand, CliContext, CliUsageError, requireOption } from './cli-command';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The CLI's application context is the core one (no queues): the endpoint service is assembled here
 * from the data source and the configuration, the same parts the api's module gives it.
 */
async function endpointsService(context: CliContext): Promise<WebhookEndpointsService> {
  const app = await context.app();
  return new WebhookEndpointsService(
    new WebhookEndpointsRepository(app.get(DataSource)),
    new WebhookAddressGuard(context.config.webhooks),
    context.config,
  );
}

function describeEndpoint(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    tenantId: endpoint.tenantId,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    disabledAt: endpoint.disabledAt,
    failingSince: endpoint.failingSince,
    previousSecretExpiresAt: endpoint.previousSecretExpiresAt,
    createdAt: endpoint.createdAt,
  };
}

function humanLine(endpoint: WebhookEndpoint): string {
  const state = endpoint.enabled ? 'enabled ' : `disabled (${endpoint.disabledReason ?? 'no reason'})`;
  return `${endpoint.id}  ${endpoint.tenantId}  ${state}  ${endpoint.events.join(',')}  ${endpoint.url}`;
}

function parseEvents(args: CliArguments): WebhookEventType[] | undefined {
  const raw = args.options.events;
  if (raw === undefined) return undefined;
  const events = String(raw)
    .split(',')
    .map((event) => event.trim())
    .filter(Boolean);
  const unknown = events.filter((event) => !isWebhookEventType(event));
  if (events.length === 0 || unknown.length > 0)
    throw new CliUsageError(`--events must list one or more of ${WEBHOOK_EVENT_TYPES.join(', ')}, got '${String(raw)}'`);
  return events as WebhookEventType[];
}

function tenantOption(args: CliArguments, required: boolean): string | undefined {
  const tenant = required ? requireOption(args, 'tenant') : (args.options.tenant as string | undefined);
  if (tenant !== undefined && !UUID.test(tenant)) throw new CliUsageError(`--tenant must be a tenant id (a UUID), got '${tenant}'`);
  return tenant;
}

function endpointArgument(args: CliArguments, command: string): string {
  const id = args.positionals[0];
  if (!id) throw new CliUsageError(`${command} needs the webhook id (wh_…)`);
  return id;
}

export const webhookCommands: CliCommand[] = [
  {
    name: 'webhooks add',
    description: 'register an endpoint for a tenant (its signing secret is shown once)',
    options: [
      { flags: '--tenant <id>', description: "the tenant's id", required: true },
      { flags: '--url <url>', description: 'where deliveries are POSTed (https)', required: true },
      { flags: '--events <list>', description: 'comma-separated: job.succeeded,job.failed,job.expired (default all)' },
      { flags: '--description <text>', description: 'a label for the endpoint' },
    ],
    async run(args, context) {
      const tenantId = tenantOption(args, true)!;
      const description = typeof args.options.description === 'string' ? args.options.description : undefined;
      const { endpoint, secret } = await (
        await endpointsService(context)
      ).create(tenantId, { url: requireOption(args, 'url'), events: parseEvents(args), description });
      context.print(`webhook ${endpoint.id} for ${endpoint.events.join(', ')} → ${endpoint.url}\nsigning secret (shown once): ${secret}`, {
        webhook: describeEndpoint(endpoint),
        secret,
      });
    },
  },
  {
    name: 'webhooks list',
    description: "endpoints (all tenants', or one's), with why any is disabled",
    options: [{ flags: '--tenant <id>', description: "only this tenant's endpoints" }],
    async run(args, context) {
      const endpoints = await (await endpointsService(context)).list(tenantOption(args, false));
      context.print(endpoints.map(humanLine).join('\n') || 'no webhooks', { webhooks: endpoints.map(describeEndpoint) });
    },
  },
  {
    name: 'webhooks remove',
    arguments: ['<webhook-id>'],
    description: 'remove an endpoint and its delivery log',
    async run(args, context) {
      const id = endpointArgument(args, 'webhooks remove');
      await (await endpointsService(context)).remove(undefined, id);
      context.print(`removed ${id}`, { removed: id });
    },
  },
  {
    name: 'webhooks rotate-secret',
    arguments: ['<webhook-id>'],
    description: 'new signing secret (shown once); the old one signs too during the grace period',
    async run(args, context) {
      const { endpoint, secret } = await (
        await endpointsService(context)
      ).rotateSecret(undefined, endpointArgument(args, 'webhooks rotate-secret'));
      const until = endpoint.previousSecretExpiresAt?.toISOString();
      context.print(
        `new signing secret for ${endpoint.id} (shown once): ${secret}${until ? `\nthe old secret also signs until ${until}` : ''}`,
        {
          webhook: describeEndpoint(endpoint),
          secret,
        },
      );
    },
  },
  {
    name: 'webhooks enable',
    arguments: ['<webhook-id>'],
    description: 're-enable a disabled endpoint (clears its failure streak)',
    async run(args, context) {
      const endpoint = await (
        await endpointsService(context)
      ).update(undefined, endpointArgument(args, 'webhooks enable'), { enabled: true });
      context.print(`enabled ${endpoint.id}`, { webhook: describeEndpoint(endpoint) });
    },
  },
];
