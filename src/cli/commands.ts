import { adminCommands } from './admin.commands';
import type { CliCommand } from './cli-command';
import { databaseCommands } from './database.commands';
import { tenantCommands } from './tenant.commands';
import { voiceCommands } from './voice.commands';
import { webhookCommands } from './webhook.commands';
import { workerCommands } from './worker.commands';

/** Every admin command. Operators and scripts depend on these exact forms: change them only additively. */
export const CLI_COMMANDS: CliCommand[] = [
  ...databaseCommands,
  ...tenantCommands,
  ...voiceCommands,
  ...workerCommands,
  ...webhookCommands,
  ...adminCommands,
];
