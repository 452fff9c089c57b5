import { ConfigFileError } from './config/yaml-file';
import { EnvironmentError, startupLogFormat } from './config/environment';
import { SchemaNotMigratedError } from './database/schema-check';
import { createPino } from './logging/root-logger';

/**
 * Runs an entry point's start-up. Problems an operator must fix (bad environment or config files,
 * un-migrated database, unreachable Postgres) end the process with a plain message instead of a stack.
 */
export async function startOrExplain(processName: string, start: () => Promise<string>): Promise<void> {
  const logger = createPino('info', processName, startupLogFormat());
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

interface Closable {
  close(): Promise<void>;
}

/**
 * SIGTERM/SIGINT close the application (modules finish their work: BullMQ workers drain, timers stop)
 * and the process exits 0. A second signal, or a close slower than `graceMs`, exits at once with 1.
 */
export function closeOnSignals(app: Closable, graceMs = 30_000): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    createPino('info', 'shutdown', startupLogFormat()).info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), graceMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        createPino('info', 'shutdown').warn({ err: error.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
