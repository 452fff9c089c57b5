import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { prettyDestination } from '../../src/logging/log-format';
import { REDACTED_PATHS, REDACTION_CENSOR } from '../../src/logging/log-redaction';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** A compiled process that logs one access line and one warning through createPino, as the api does. */
const LOGGING_PROCESS = `
const { createPino } = require('./dist/src/logging/root-logger');
const logger = createPino('info', 'api', process.env.LOG_FORMAT);
logger.info({ requestId: 'r-1', method: 'GET', path: '/v1/voices', status: 200, durationMs: 3.21 }, 'request');
logger.warn({ headers: { 'xi-api-key': 'sk_sauti_secret' } }, 'careful');
`;

/** Runs it under a pseudo-terminal (util-linux `script`), as when a person runs the quickstart. */
async function inTerminal(env: Record<string, string>): Promise<string> {
  const command = `${process.execPath} -e "${LOGGING_PROCESS.replace(/"/g, '\\"')}"`;
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, ...env, TERM: 'xterm-256color' },
  });
  return stdout;
}

const ESCAPE = String.fromCharCode(27);
const ANSI_COLOUR = new RegExp(`${ESCAPE}\\[\\d+(;\\d+)*m`);

describe('log format: coloured lines at a terminal, JSON lines otherwise', () => {
  it('auto, at a terminal: pretty coloured lines, the access line in one readable line, secrets still redacted', async () => {
    const output = await inTerminal({ LOG_FORMAT: 'auto' });
    expect(output).toMatch(ANSI_COLOUR);
    const plain = output.replace(new RegExp(ANSI_COLOUR.source, 'g'), '');
    expect(plain).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(api\): GET \/v1\/voices → 200 in 3\.21 ms \{"requestId":"r-1"\}\r?$/m);
    expect(plain).toMatch(/WARN \(api\): careful \{"headers":\{"xi-api-key":"\[redacted\]"\}\}/);
    expect(plain).not.toContain('sk_sauti_secret');
  });

  it('auto with stdout not a terminal (a pipe, a container log): JSON lines', async () => {
    const { stdout } = await run(process.execPath, ['-e', LOGGING_PROCESS], { cwd: ROOT, env: { ...process.env, LOG_FORMAT: 'auto' } });
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'api', requestId: 'r-1', path: '/v1/voices', msg: 'request' });
    expect(lines[1]).toMatchObject({ level: 'warn', headers: { 'xi-api-key': '[redacted]' } });
  });

  it('LOG_FORMAT=json wins over a terminal', async () => {
    const output = await inTerminal({ LOG_FORMAT: 'json' });
    expect(output).not.toMatch(ANSI_COLOUR);
    expect(JSON.parse(output.trim().split(/\r?\n/)[0])).toMatchObject({ msg: 'request', durationMs: 3.21 });
  });

  it('other lines keep their message, with the path they are about', async () => {
    const sink = new PassThrough();
    const written: string[] = [];
    sink.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    const logger = pino(
      { name: 'worker', base: { process: 'worker' }, redact: { paths: REDACTED_PATHS, censor: REDACTION_CENSOR } },
      prettyDestination(sink),
    );
    logger.error({ path: '/v1/tts/jobs', code: 'internal', provider: { apiKey: 'sk-up' } }, 'unexpected error');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written.join('')).toMatch(
      /ERROR \(worker\): unexpected error \(\/v1\/tts\/jobs\) \{"code":"internal","provider":\{"apiKey":"\[redacted\]"\}\}\n$/,
    );
  });
});
