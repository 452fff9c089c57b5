import { adminCommands } from './admin.commands';
import { cacheCommands } from './cache.commands';
import type { CliCommand } from './cli-command';
import { databaseCommands } from './database.commands';
import { tenantCommands } from './tenant.commands';
import { usageCommands } from './usage.commands';
import { voiceCommands } from './voice.commands';
import { webhookCommands } from './webhook.commands';
import { workerCommands } from './worker.commands';

/** Every admin command. Operators and scripts depend on these exact forms: change them only additively. */
export const CLI_COMMANDS: CliCommand[] = [
  ...databaseCommands,
  ...tenantCommands,
  ...usageCommands,
  ...voiceCommands,
  ...workerCommands,
  ...webhookCommands,
  ...adminCommands,
  ...cacheCommands,
];

/** What each command group (the first word) is about, for `--help`. */
export const CLI_GROUPS: Record<string, string> = {
  db: 'the database: create it, apply or revert migrations',
  tenants: 'tenants and their credit balances',
  keys: "tenants' API keys",
  credits: "tenants' credits",
  voices: 'built-in VITS voices',
  workers: 'live worker processes',
  webhooks: "tenants' completion webhook endpoints",
  'admin-keys': "operators' keys to the dashboard and /admin/v1",
  cache: 'the audio result cache',
};
