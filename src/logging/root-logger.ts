import { Injectable, LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { AppConfig } from '../config/app-config';

/** Paths a secret could sit under in anything we log. */
const REDACTED_PATHS = [
  'apiKey',
  'key',
  'headers.authorization',
  'headers["xi-api-key"]',
  'req.headers.authorization',
  'req.headers["xi-api-key"]',
  '*.apiKey',
  '*.password',
  '*.secret',
];

/** The CLI's stdout carries its output (often JSON for scripts), so its logs go to stderr. */
export function createPino(level: string, name: string): Logger {
  const destination = RootLogger.destinationOverride ?? (name === 'cli' ? pino.destination(2) : pino.destination(1));
  return pino(
    {
      name,
      level,
      base: { process: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** The process's structured JSON logger, also used as Nest's logger so framework lines are JSON too. */
@Injectable()
export class RootLogger implements LoggerService {
  readonly pino: Logger;

  constructor(config: AppConfig) {
    this.pino = createPino(config.logging.level, RootLogger.processName);
  }

  /** Set by each entry point before the application is created ("api", "worker", "cli"). */
  static processName = 'sauti';

  /** Lets tests read what is logged. */
  static destinationOverride?: DestinationStream;

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
