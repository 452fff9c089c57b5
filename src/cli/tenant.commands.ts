import { CreditsService } from '../billing/credits.service';
import { ApiKeyEntity } from '../tenants/api-key.entity';
import { ApiKeysService } from '../tenants/api-keys.service';
import { KeyBudget, keySpend, parseKeyBudget } from '../tenants/key-budget';
import { TenantsService } from '../tenants/tenants.service';
import { CliArguments, CliCommand, CliUsageError, requireInteger, requireOption } from './cli-command';

function describeKey(key: ApiKeyEntity) {
  return {
    id: key.id,
    tenantId: key.tenantId,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
    budget: keySpend(key),
  };
}

/** `--budget <credits|none>` and `--period <day|month|none>` as a budget; `current` fills what is not given. */
function budgetOptions(args: CliArguments, current?: KeyBudget): KeyBudget {
  const raw = args.options.budget;
  let creditLimit: unknown = undefined;
  if (typeof raw === 'string') creditLimit = raw === 'none' ? null : /^\d+$/.test(raw) ? Number(raw) : raw;
  try {
    return parseKeyBudget({ creditLimit, period: args.options.period }, { creditLimit: '--budget', period: '--period' }, current);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

function describeBudget(key: ApiKeyEntity): string {
  const spend = keySpend(key);
  const per = spend.period === 'none' ? 'in all' : `per ${spend.period}`;
  return spend.credit_limit === null
    ? `no budget, ${spend.spent} spent this ${spend.period === 'none' ? 'life' : spend.period}`
    : `budget ${spend.credit_limit} ${per}, ${spend.spent} spent`;
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
      { flags: '--budget <credits>', description: 'credits the key may spend per period (default: no budget)' },
      { flags: '--period <day|month|none>', description: 'the budget period in UTC; none caps all it ever spends (default month)' },
    ],
    async run(args, context) {
      const name = typeof args.options.name === 'string' ? args.options.name : 'cli';
      const budget = budgetOptions(args);
      const { key, plaintext } = await (await context.app()).get(ApiKeysService).create(requireOption(args, 'tenant'), name, budget);
      // A budget is named when the key has one; a key without keeps the one-line answer scripts read.
      const budgetLine = key.creditLimit === null ? '' : `\n${describeBudget(key)}`;
      context.print(`api key ${key.id} (shown once): ${plaintext}${budgetLine}`, { key: describeKey(key), apiKey: plaintext });
    },
  },
  {
    name: 'keys budget',
    arguments: ['<key-id>'],
    description: "set or remove an API key's budget (--budget none removes it)",
    options: [
      { flags: '--budget <credits|none>', description: 'credits per period, or none for no budget' },
      { flags: '--period <day|month|none>', description: 'the budget period in UTC (default: unchanged)' },
    ],
    async run(args, context) {
      if (args.options.budget === undefined && args.options.period === undefined)
        throw new CliUsageError('give --budget, --period or both');
      const keys = (await context.app()).get(ApiKeysService);
      const keyId = args.positionals[0];
      const current = await keys.get(keyId);
      const key = await keys.setBudget(keyId, budgetOptions(args, { creditLimit: current.creditLimit, period: current.budgetPeriod }));
      context.print(`${key.id}: ${describeBudget(key)}`, { key: describeKey(key) });
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
      const lines = keys.map(
        (k) =>
          `${k.id}  ${k.prefix}…  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}${k.creditLimit === null ? '' : `  (${describeBudget(k)})`}`,
      );
      context.print(lines.join('\n') || 'no keys', {
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
