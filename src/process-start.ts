import { ConfigFileError } from './config/yaml-file';
import { EnvironmentError } from './config/environment';
import { SchemaNotMigratedError } from './database/schema-check';
import { createPino } from './logging/root-logger';

/**
 * Runs an entry point's start-up. Problems an operator must fix (bad environment or config files,
 * un-migrated database, unreachable Postgres) end the process with a plain message instead of a stack.
 */
export async function startOrExplain(processName: string, start: () => Promise<string>): Promise<void> {
  const logger = createPino('info', processName);
  try {
    logger.info(await start());
  } catch (error) {
    const known = error instanceof EnvironmentError || error instanceof ConfigFileError || error instanceof SchemaNotMigratedError;
    const message = known ? (error as Error).message : `${processName} could not start: ${(error as Error).message}`;
    logger.fatal({ err: known ? undefined : error }, message);
    process.stderr.write(`\n${message}\n`);
    process.exit(1);
  }
}
