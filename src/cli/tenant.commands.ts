import { CreditsService } from '../billing/credits.service';
import { ApiKeyEntity } from '../tenants/api-key.entity';
import { ApiKeysService } from '../tenants/api-keys.service';
import { TenantsService } from '../tenants/tenants.service';
import { CliCommand, requireInteger, requireOption } from './cli-command';

function describeKey(key: ApiKeyEntity) {
  return {
    id: key.id,
    tenantId: key.tenantId,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
  };
}

export const tenantCommands: CliCommand[] = [
  {
    name: 'tenants create',
    description: 'create a tenant and its first API key (shown once)',
    options: [
      { flags: '--name <name>', description: "the tenant's name", required: true },
      { flags: '--credits <n>', description: 'opening credit balance (default 0)' },
    ],
    async run(args, context) {
      const name = requireOption(args, 'name');
      const credits = args.options.credits === undefined ? 0 : requireInteger(args, 'credits', 0);
      const { tenant, apiKey } = await (await context.app()).get(TenantsService).create(name, credits);
      context.print(
        `tenant ${tenant.id} (${tenant.name}) with ${tenant.creditBalance} credits\napi key (shown once): ${apiKey.plaintext}`,
        { tenant: { id: tenant.id, name: tenant.name }, apiKey: apiKey.plaintext },
      );
    },
  },
  {
    name: 'tenants list',
    description: 'list tenants and balances',
    async run(_args, context) {
      const tenants = await (await context.app()).get(TenantsService).list();
      context.print(tenants.map((t) => `${t.id}  ${t.creditBalance.toString().padStart(10)}  ${t.name}`).join('\n') || 'no tenants', {
        tenants: tenants.map((t) => ({ id: t.id, name: t.name, creditBalance: t.creditBalance, createdAt: t.createdAt })),
      });
    },
  },
  {
    name: 'keys create',
    description: 'create another API key for a tenant (shown once)',
    options: [
      { flags: '--tenant <id>', description: "the tenant's id", required: true },
      { flags: '--name <name>', description: 'a label for the key (default "cli")' },
    ],
    async run(args, context) {
      const name = typeof args.options.name === 'string' ? args.options.name : 'cli';
      const { key, plaintext } = await (await context.app()).get(ApiKeysService).create(requireOption(args, 'tenant'), name);
      context.print(`api key ${key.id} (shown once): ${plaintext}`, { key: describeKey(key), apiKey: plaintext });
    },
  },
  {
    name: 'keys revoke',
    arguments: ['<key-id>'],
    description: 'revoke an API key',
    async run(args, context) {
      const keyId = args.positionals[0];
      const key = await (await context.app()).get(ApiKeysService).revoke(keyId);
      context.print(`revoked ${key.id} at ${key.revokedAt?.toISOString()}`, { key: describeKey(key) });
    },
  },
  {
    name: 'keys list',
    description: "list a tenant's API keys (never the keys themselves)",
    options: [{ flags: '--tenant <id>', description: "the tenant's id", required: true }],
    async run(args, context) {
      const keys = await (await context.app()).get(ApiKeysService).list(requireOption(args, 'tenant'));
      context.print(keys.map((k) => `${k.id}  ${k.prefix}…  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}`).join('\n') || 'no keys', {
        keys: keys.map(describeKey),
      });
    },
  },
  {
    name: 'credits topup',
    description: "add credits to a tenant's balance",
    options: [
      { flags: '--tenant <id>', description: "the tenant's id", required: true },
      { flags: '--amount <n>', description: 'credits to add (a whole number ≥ 1)', required: true },
    ],
    async run(args, context) {
      const tenantId = requireOption(args, 'tenant');
      const balance = await (await context.app()).get(CreditsService).topUp(tenantId, requireInteger(args, 'amount', 1));
      context.print(`balance: ${balance}`, { tenantId, balance });
    },
  },
  {
    name: 'credits show',
    description: "a tenant's balance, reserved credits and ledger sum",
    options: [{ flags: '--tenant <id>', description: "the tenant's id", required: true }],
    async run(args, context) {
      const summary = await (await context.app()).get(CreditsService).summary(requireOption(args, 'tenant'));
      context.print(`balance ${summary.balance}, reserved ${summary.reserved}, ledger sum ${summary.ledgerSum}`, summary);
    },
  },
];
