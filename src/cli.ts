import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CliArguments, CliCommand, CliContext, CliUsageError } from './cli/cli-command';
import { CLI_COMMANDS } from './cli/commands';
import { AppConfig } from './config/app-config';
import { EnvironmentError } from './config/environment';
import { ConfigFileError } from './config/yaml-file';
import { CoreModule } from './core.module';
import { RootLogger } from './logging/root-logger';
import { TtsError } from './common/tts-error';

function usage(): string {
  return ['usage: npm run cli -- <command> [options] [--json]', '', ...CLI_COMMANDS.map((c) => `  ${c.usage}`)].join('\n');
}

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  const candidates = CLI_COMMANDS.filter((c) => {
    const words = c.name.split(' ');
    return words.every((word, i) => argv[i] === word);
  });
  const command = candidates.sort((a, b) => b.name.length - a.name.length)[0];
  return command ? { command, rest: argv.slice(command.name.split(' ').length) } : undefined;
}

function parse(command: CliCommand, rest: string[]): CliArguments {
  const options: Record<string, { type: 'string' | 'boolean' }> = { json: { type: 'boolean' } };
  for (const name of command.options ?? []) options[name] = { type: 'string' };
  for (const name of command.flags ?? []) options[name] = { type: 'boolean' };
  const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  return { positionals, options: values as CliArguments['options'], json: values.json === true };
}

async function main(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`${argv.length ? `unknown command: ${argv.join(' ')}\n\n` : ''}${usage()}\n`);
    return 2;
  }
  RootLogger.processName = 'cli';
  const args = parse(found.command, found.rest);
  const config = AppConfig.load();
  let app: INestApplicationContext | undefined;
  const context: CliContext = {
    config,
    app: async () => {
      app ??= await NestFactory.createApplicationContext(CoreModule.forRoot(config), { logger: ['error'], abortOnError: false });
      await app.init();
      return app;
    },
    print: (human, json) => process.stdout.write(`${args.json ? JSON.stringify(json) : human}\n`),
  };
  try {
    await found.command.run(args, context);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } finally {
    await app?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof CliUsageError || error instanceof EnvironmentError || error instanceof ConfigFileError || error instanceof TtsError;
    process.stderr.write(`error: ${(error as Error).message}\n`);
    if (!known && !(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(error instanceof CliUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1);
  },
);
