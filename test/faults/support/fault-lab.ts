import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../../src/database/data-source-options';
import { ScriptableUpstream, toneWav } from '../../fakes/scriptable-upstream';
import { fakeUpstreamConfigDir } from '../../support/job-fixture';
import { ServiceProcess, spawnApi, spawnService } from '../../support/service-process';
import { PostgresServer, RedisServer } from './servers';

export const TONE = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
const DATABASE = 'sauti_faults';
const ROOT = join(__dirname, '..', '..', '..');

export type ApiProcess = ServiceProcess & { baseUrl: string };

export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One deployment under test: its own PostgreSQL cluster and redis-server (test/faults/support/servers.ts),
 * a scriptable upstream behind the catalogue voice `fake-upstream-voice`, and the compiled api and
 * worker as child processes, configured for quick recovery (short locks, hold lifetimes and
 * maintenance intervals) so a test sees each repair within seconds.
 */
export class FaultLab {
  readonly processes: ServiceProcess[] = [];

  private constructor(
    readonly postgres: PostgresServer,
    readonly redis: RedisServer,
    readonly upstream: ScriptableUpstream,
    readonly env: Record<string, string>,
  ) {}

  static async start(overrides: Record<string, string> = {}): Promise<FaultLab> {
    const [postgres, redis, upstream] = await Promise.all([
      PostgresServer.start(DATABASE),
      RedisServer.start(),
      ScriptableUpstream.start(),
    ]);
    upstream.defaultResponse = TONE;
    const migrations = await new DataSource(dataSourceOptions(postgres.url(DATABASE))).initialize();
    await migrations.runMigrations({ transaction: 'each' });
    await migrations.destroy();
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: postgres.url(DATABASE),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'faults',
      CONFIG_DIR: fakeUpstreamConfigDir(upstream),
      FAKE_UPSTREAM_KEY: 'fake-key',
      LOG_LEVEL: 'info',
      API_KEY_CACHE_TTL_MS: '0',
      AUDIO_URL_SIGNING_SECRET: 'faults-signing-secret-0123456789abcdef',
      JOB_LOCK_DURATION_MS: '2000',
      JOB_MAX_ATTEMPTS: '3',
      MAINTENANCE_INTERVAL_MS: '500',
      JOB_RELAY_MIN_AGE_MS: '1000',
      CREDIT_HOLD_TTL_SECONDS: '3',
      WORKER_REPORT_INTERVAL_MS: '1000',
      INFERENCE_POOL_SIZE: '2',
      // The scenarios repeat texts and wait for upstream calls: answered from the audio cache they would not
      // happen. The cache's own behaviour is tested in test/e2e/audio-cache*.e2e.spec.ts.
      AUDIO_CACHE_ENABLED: 'false',
      ...overrides,
    };
    return new FaultLab(postgres, redis, upstream, env);
  }

  async api(overrides: Record<string, string> = {}): Promise<ApiProcess> {
    const api = await spawnApi({ ...this.env, ...overrides });
    this.processes.push(api);
    return api;
  }

  async worker(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
    const worker = spawnService('worker', { ...this.env, ...overrides });
    this.processes.push(worker);
    await worker.waitForOutput(/worker started/);
    return worker;
  }

  /** A tenant made the way an operator makes one: the admin CLI. */
  async createTenant(credits: number): Promise<{ tenantId: string; apiKey: string }> {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'dist', 'src', 'cli.js'), 'tenants', 'create', '--name', 'faults', '--credits', String(credits), '--json'],
      { cwd: ROOT, env: { ...process.env, ...this.env, LOG_LEVEL: 'silent' } },
    );
    const created = JSON.parse(stdout.trim().split('\n').pop()!);
    return { tenantId: created.tenant.id, apiKey: created.apiKey };
  }

  /** A fresh connection per call, so a query works across the server's restarts. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async jobStatuses(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.query<{ id: string; status: string }>(`SELECT id, status FROM synthesis_jobs WHERE id = ANY($1)`, [ids]);
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  async allFinished(ids: string[]): Promise<boolean> {
    const statuses = await this.jobStatuses(ids);
    return ids.every((id) => ['succeeded', 'failed'].includes(statuses.get(id) ?? ''));
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.stop('SIGKILL')));
    await this.upstream.close();
    await Promise.all([this.postgres.destroy(), this.redis.destroy()]);
  }
}

/** Lines a process logged at error level or above, or that carry a stack trace. */
export function errorLines(process: ServiceProcess): string[] {
  return process
    .output()
    .split('\n')
    .filter((line) => /"level":"(error|fatal)"|"stack":|\n\s+at /.test(line));
}
