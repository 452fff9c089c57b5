import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

export interface CliArguments {
  /** Positional words after the command name, in the order of `arguments`. */
  positionals: string[];
  /** Option values by their long name as written (`base-url`, not `baseUrl`). */
  options: Record<string, string | boolean | undefined>;
  json: boolean;
}

export interface CliContext {
  config: AppConfig;
  /** Boots the application context on first use (commands such as `db create` never need it). */
  app(): Promise<INestApplicationContext>;
  print(human: string, json: unknown): void;
}

/** One option in commander's syntax: `--tenant <id>` takes a value, `--dry-run` is a flag. */
export interface CliOption {
  flags: string;
  description: string;
  /** Refused by the parser when missing (the help shows it as required). */
  required?: boolean;
}

/**
 * One admin command. Every command also takes `--json` and `--help`; `src/cli/cli-program.ts` turns
 * these declarations into commander commands, so a command file never touches the parser.
 */
export interface CliCommand {
  /** Words that select the command: "<group> <action>", e.g. "tenants create". */
  name: string;
  /** Positional arguments in commander's syntax: `<key-id>` required, `[name]` optional. */
  arguments?: string[];
  /** One line, shown in the group's command list and in the command's --help. */
  description: string;
  options?: CliOption[];
  run(args: CliArguments, context: CliContext): Promise<void>;
}

/** Bad usage found by a command itself (a value out of range): one line on stderr, exit code 2. */
export class CliUsageError extends Error {}

export function requireOption(args: CliArguments, name: string): string {
  const value = args.options[name];
  if (typeof value !== 'string' || value === '') throw new CliUsageError(`--${name} is required`);
  return value;
}

export function requireInteger(args: CliArguments, name: string, minimum: number): number {
  const raw = requireOption(args, name);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new CliUsageError(`--${name} must be a whole number ≥ ${minimum}, got '${raw}'`);
  return value;
}
