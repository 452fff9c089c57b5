import { Command, CommanderError, Option } from 'commander';
import type { CliArguments, CliCommand } from './cli-command';

/** `npm run cli -- …` as operators type it; shown in every usage line. */
const PROGRAM_NAME = 'npm run cli --';

/** Commander puts its suggestion ("(Did you mean create?)") on a line of its own. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, ' ');
}

/** The word after the group in each command's name ("tenants create" → "create"). */
function actionWord(command: CliCommand): string {
  return command.name.split(' ').slice(1).join(' ');
}

/** The form listed under the root --help, one line per command, like the README's list. */
function synopsis(command: CliCommand): string {
  const options = (command.options ?? []).map((option) => (option.required ? option.flags : `[${option.flags}]`));
  return [command.name, ...(command.arguments ?? []), ...options, '[--json]'].join(' ');
}

function addCommand(
  group: Command,
  command: CliCommand,
  run: (command: CliCommand, args: CliArguments) => Promise<void>,
  word = actionWord(command),
): void {
  const sub = group.command(word).description(command.description);
  for (const argument of command.arguments ?? []) sub.argument(argument);
  for (const option of command.options ?? []) {
    if (option.required) sub.requiredOption(option.flags, option.description);
    else sub.option(option.flags, option.description);
  }
  sub.option('--json', 'print one JSON document on stdout (for scripts)');
  const declared = (command.options ?? []).map((option) => new Option(option.flags));
  sub.action(async (...received: unknown[]) => {
    const parsed = (received.at(-1) as Command).opts<Record<string, string | boolean | undefined>>();
    const positionals = received.slice(0, (command.arguments ?? []).length).filter((value): value is string => typeof value === 'string');
    // Keyed by the long name as written (`base-url`), as commands read them, not commander's `baseUrl`.
    const options: CliArguments['options'] = {};
    for (const option of declared) options[option.name()] = parsed[option.attributeName()];
    await run(command, { positionals, options, json: parsed.json === true });
  });
}

/**
 * The admin CLI's parser, built from the command declarations (src/cli/commands.ts): one commander
 * command per group, one subcommand per action, each with --help, --json and its declared options.
 * Parser errors (unknown command or option, missing argument) throw CommanderError (exit code 2).
 */
export function buildCliProgram(
  commands: CliCommand[],
  groups: Record<string, string>,
  run: (command: CliCommand, args: CliArguments) => Promise<void>,
): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Administer the Sauti TTS proxy: database, tenants, API keys, credits, voices and workers.')
    .usage('<group> <command> [options] [--json]')
    .helpCommand(false)
    // Set before any subcommand is added: commander copies both settings to the commands it creates.
    .exitOverride()
    .configureOutput({ outputError: (message) => process.stderr.write(`${oneLine(message)}\n`) });
  const byGroup = new Map<string, Command>();
  for (const command of commands) {
    // A one-word command (`usage`) is its own group.
    if (!command.name.includes(' ')) {
      addCommand(program, command, run, command.name);
      continue;
    }
    const groupName = command.name.split(' ')[0];
    let group = byGroup.get(groupName);
    if (!group) {
      group = program
        .command(groupName)
        .description(groups[groupName] ?? `${groupName} commands`)
        .helpCommand(false);
      byGroup.set(groupName, group);
    }
    addCommand(group, command, run);
  }
  // A group without its command is bad usage like any other: one line, not the group's whole help.
  for (const [name, group] of byGroup) {
    const actions = group.commands.map((sub) => sub.name()).join('|');
    group.configureOutput({
      writeErr: () => process.stderr.write(`error: missing command: ${PROGRAM_NAME} ${name} <${actions}> (--help explains each)\n`),
    });
  }
  program.addHelpText('after', `\nEvery command:\n${commands.map((command) => `  ${synopsis(command)}`).join('\n')}\n`);
  return program;
}

/** Help asked for (`--help`) ends with 0; every other parser stop is bad usage. */
export function exitCodeOf(error: CommanderError): number {
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
}
