import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';

export interface CliArguments {
  /** Positional words after the command name. */
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
  json: boolean;
}

export interface CliContext {
  config: AppConfig;
  /** Boots the application context on first use (commands such as `db create` never need it). */
  app(): Promise<INestApplicationContext>;
  print(human: string, json: unknown): void;
}

export interface CliCommand {
  /** Words that select the command, e.g. "tenants create". */
  name: string;
  usage: string;
  /** Option names this command accepts (besides --json); each takes a value unless listed in flags. */
  options?: string[];
  flags?: string[];
  run(args: CliArguments, context: CliContext): Promise<void>;
}

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
