import { Injectable } from '@nestjs/common';
// The request-scoped store behind nestjs-pino's PinoLogger; read directly so that outside a request we
// fall back to this application's root (PinoLogger would answer with the first logger the process made).
import { storage as requestLoggers } from 'nestjs-pino/storage';
import pino, { DestinationStream, Logger } from 'pino';
import { AppConfig } from '../config/app-config';
import { LogFormat, prettyDestination, wantsPrettyLines } from './log-format';
import { REDACTED_PATHS, REDACTION_CENSOR } from './log-redaction';

/**
 * The process's root pino logger: JSON lines (or pretty ones at a terminal, see LOG_FORMAT), secrets
 * redacted. The CLI's stdout carries its output (often JSON for scripts), so its logs go to stderr.
 */
export function createPino(level: string, name: string, format: LogFormat = 'auto'): Logger {
  const fileDescriptor = name === 'cli' ? 2 : 1;
  const destination =
    RootLogger.destinationOverride ??
    (wantsPrettyLines(format, fileDescriptor) ? prettyDestination(fileDescriptor) : pino.destination(fileDescriptor));
  return pino(
    {
      name,
      level,
      base: { process: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: REDACTION_CENSOR },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * The logger every service injects: `this.logger.pino.warn({...}, 'message')`. Inside an HTTP request
 * `pino` is that request's child logger (nestjs-pino keeps it in AsyncLocalStorage), so each line
 * carries the request's `requestId`; elsewhere it is the root logger. Nest's own lines go through
 * nestjs-pino's `Logger` (see LoggingModule), to the same destination.
 */
@Injectable()
export class RootLogger {
  readonly root: Logger;

  constructor(config: AppConfig) {
    this.root = createPino(config.logging.level, RootLogger.processName, config.logging.format);
  }

  get pino(): Logger {
    return requestLoggers.getStore()?.logger ?? this.root;
  }

  /** Set by each entry point before the application is created ("api", "worker", "cli"). */
  static processName = 'sauti';

  /** Lets tests read what is logged. */
  static destinationOverride?: DestinationStream;
}
