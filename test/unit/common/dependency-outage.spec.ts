import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Client } from 'pg';
import pino from 'pino';
import { Writable } from 'node:stream';
import { isDependencyOutage } from '../../../src/common/errors/dependency-outage';
import { ErrorEnvelopes } from '../../../src/common/errors/error-envelopes';
import { writeError } from '../../../src/common/errors/error-writer';
import { toTtsError } from '../../../src/common/errors/to-tts-error';
import type { ServiceRequest } from '../../../src/common/request-context';
import { TtsError } from '../../../src/common/tts-error';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dependency outages (PostgreSQL or Redis out of reach)', () => {
  it('a refused PostgreSQL connection is an outage: service_unavailable with Retry-After', async () => {
    const client = new Client({ host: '127.0.0.1', port: await closedPort(), user: 'postgres', connectionTimeoutMillis: 1000 });
    const error = await client.connect().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isDependencyOutage(error)).toBe(true);
    const sut = toTtsError(error);
    expect(sut).toMatchObject({ code: 'service_unavailable', retryAfterSeconds: 5 });
    expect(sut.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('Redis that cannot be reached is an outage', async () => {
    const redis = new Redis({
      host: '127.0.0.1',
      port: await closedPort(),
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => undefined);
    const error = await redis.get('x').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    redis.disconnect();
    expect(isDependencyOutage(error)).toBe(true);
  });

  it('server-side states of PostgreSQL: shutting down, starting up, connection lost — wrapped or not', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001'])
      expect(isDependencyOutage({ code, message: 'x' })).toBe(true);
    expect(isDependencyOutage({ name: 'QueryFailedError', message: 'x', driverError: { code: '57P01' } })).toBe(true);
    expect(isDependencyOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyOutage(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDependencyOutage(new AggregateError([Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })]))).toBe(true);
  });

  it('not an outage: bad statements, constraint violations, bugs, and an upstream provider that refused a connection', () => {
    for (const code of ['23505', '22P02', '42P01', 'SC402']) expect(isDependencyOutage({ code, message: 'x' })).toBe(false);
    expect(isDependencyOutage(new TypeError('undefined is not a function'))).toBe(false);
    const upstream = new TtsError('provider_unavailable', 'upstream down', {
      cause: Object.assign(new Error('fetch failed'), { code: 'ECONNREFUSED' }),
    });
    expect(isDependencyOutage(upstream)).toBe(false);
    expect(toTtsError(new Error('boom')).code).toBe('internal');
  });

  it('is logged as a warning naming the cause, without a stack, and answered 503 with Retry-After', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    const headers: Record<string, string> = {};
    let status = 0;
    let body = '';
    const response = {
      headersSent: false,
      status: (code: number) => (status = code),
      setHeader: (name: string, value: string) => (headers[name] = value),
      end: (text: string) => (body = text),
    };
    const request = { id: 'req-1', path: '/health/x' } as ServiceRequest;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    writeError(refused, request, response as never, new ErrorEnvelopes(), logger);
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('5');
    expect(JSON.parse(body).error).toMatchObject({ code: 'service_unavailable', request_id: 'req-1' });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 40, reason: 'connect ECONNREFUSED 127.0.0.1:5432', msg: 'dependency unavailable; answered 503' });
    expect(lines[0]).not.toMatch(/"stack"|at Object/);
  });
});
