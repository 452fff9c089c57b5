import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { CommanderError } from 'commander';
import { CliArguments, CliCommand, CliContext, CliUsageError } from './cli/cli-command';
import { buildCliProgram, exitCodeOf } from './cli/cli-program';
import { CLI_COMMANDS, CLI_GROUPS } from './cli/commands';
import { AppConfig } from './config/app-config';
import { EnvironmentError } from './config/environment';
import { ConfigFileError } from './config/yaml-file';
import { RootLogger } from './logging/root-logger';
import { TtsError } from './common/tts-error';

/** Runs one parsed command: configuration is read only now, so `--help` and usage errors need none. */
async function runCommand(command: CliCommand, args: CliArguments): Promise<void> {
  RootLogger.processName = 'cli';
  const config = AppConfig.load();
  let app: INestApplicationContext | undefined;
  const context: CliContext = {
    config,
    app: async () => {
      // Loaded on first use: --help, usage errors and `db` commands never pay for Nest and every module.
      const [{ NestFactory }, { CoreModule }] = await Promise.all([import('@nestjs/core'), import('./core.module')]);
      app ??= await NestFactory.createApplicationContext(CoreModule.forRoot(config), { logger: ['error'], abortOnError: false });
      await app.init();
      return app;
    },
    print: (human, json) => process.stdout.write(`${args.json ? JSON.stringify(json) : human}\n`),
  };
  try {
    await command.run(args, context);
  } finally {
    await app?.close();
  }
}

/** Exit codes: 0 done (or --help), 1 the command failed, 2 bad usage. One line on stderr for each failure. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return exitCodeOf(error); // commander has already printed its one line
  const known =
    error instanceof CliUsageError || error instanceof EnvironmentError || error instanceof ConfigFileError || error instanceof TtsError;
  process.stderr.write(`error: ${(error as Error).message}\n`);
  if (!known) process.stderr.write(`${(error as Error).stack}\n`);
  return error instanceof CliUsageError ? 2 : 1;
}

buildCliProgram(CLI_COMMANDS, CLI_GROUPS, runCommand)
  .parseAsync(process.argv.slice(2), { from: 'user' })
  .then(
    () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
    (error: unknown) => process.exit(exitCodeFor(error)),
  );
