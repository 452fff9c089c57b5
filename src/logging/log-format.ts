import { isatty } from 'node:tty';
import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/** `LOG_FORMAT`: JSON lines for machines, coloured lines for a person at a terminal, or chosen by the stream. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export function wantsPrettyLines(format: LogFormat, fileDescriptor: number): boolean {
  return format === 'pretty' || (format === 'auto' && isatty(fileDescriptor));
}

type LogLine = Record<string, unknown>;

/** An access line reads `GET /v1/voices → 200 in 3.2 ms`; any other line keeps its message, plus the path it is about. */
function formatMessage(line: LogLine, messageKey: string): string {
  const message = String(line[messageKey] ?? '');
  if (message === 'request' && line.method !== undefined)
    return `${String(line.method)} ${String(line.path)} → ${String(line.status)} in ${String(line.durationMs)} ms`;
  return line.path === undefined ? message : `${message} (${String(line.path)})`;
}

/**
 * pino-pretty as an in-process stream on `destination` (a file descriptor): one line per entry, its other fields as
 * compact JSON after the message. Colour follows the terminal (NO_COLOR and FORCE_COLOR are honoured).
 */
export function prettyDestination(destination: number | NodeJS.WritableStream): DestinationStream {
  return pretty({
    destination,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'process,method,path,status,durationMs',
    messageFormat: formatMessage,
  });
}
