import { ChildProcess, execFileSync, spawn, SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * PostgreSQL and Redis servers of the fault suite's own, on free loopback ports in a temporary folder,
 * so the suite can stop, kill and restart them without touching the shared services other tests use.
 * PostgreSQL comes from the installed PostgreSQL 15 (`initdb`, `pg_ctl`); as root (CI, these machines)
 * it runs as the `postgres` system user, which initdb requires.
 */

export const PG_BIN = process.env.FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** The suite's folder, made by the global setup: the initdb template and each test file's servers. */
export function faultsRoot(): string {
  const root = process.env.SAUTI_FAULTS_ROOT;
  if (!root) throw new Error('SAUTI_FAULTS_ROOT is not set: run the fault suite with `npm run test:faults`');
  return root;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** uid/gid to run PostgreSQL's tools as: the `postgres` user when we are root, else ourselves. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A folder PostgreSQL may write to. */
export function postgresFolder(parent: string, prefix: string): string {
  const dir = mkdtempSync(join(parent, prefix));
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function runPostgresTool(tool: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  const user = postgresUser();
  return new Promise((resolve, reject) => {
    const child = spawn(join(PG_BIN, tool), args, { stdio: ['ignore', 'pipe', 'pipe'], ...user, ...options });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

/** initdb once per suite run; each test file copies the result instead of running initdb again. */
export async function initPostgresTemplate(root: string): Promise<string> {
  const template = join(postgresFolder(root, 'template-'), 'data');
  await runPostgresTool('initdb', ['-D', template, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  return template;
}

export class PostgresServer {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** A copy of the template cluster, started on a free port; `database` is created. */
  static async start(database: string): Promise<PostgresServer> {
    const root = faultsRoot();
    const template = readFileSync(join(root, 'postgres-template'), 'utf8').trim();
    const home = postgresFolder(root, 'pg-');
    const dataDir = join(home, 'data');
    // cp -a keeps the owner (postgres) and the 0700 mode PostgreSQL insists on.
    execFileSync('cp', ['-a', template, dataDir]);
    const server = new PostgresServer(dataDir, await freePort());
    writeFileSync(join(root, `pg-${server.port}.datadir`), dataDir);
    await server.start();
    const admin = new Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    return server;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${join(this.dataDir, '..')}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c full_page_writes=off',
    ];
    await runPostgresTool('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options.join(' '),
      '-l',
      join(this.dataDir, '..', 'server.log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /** `fast` ends every session (they see 57P01 or a dropped connection), as a restart by an operator does. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await runPostgresTool('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) await this.stop('immediate').catch(() => undefined);
  }
}

export class RedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const dir = mkdtempSync(join(faultsRoot(), 'redis-'));
    const server = new RedisServer(await freePort(), dir);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** An empty server: nothing saved, nothing loaded (the fault suite's Redis "restarted empty"). */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      {
        stdio: 'ignore',
      },
    );
    this.child = child;
    writeFileSync(join(faultsRoot(), `redis-${this.port}.pid`), String(child.pid));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port: this.port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      const ready = await probe
        .connect()
        .then(() => probe.ping())
        .then(
          () => true,
          () => false,
        );
      probe.disconnect();
      if (ready) return;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SHUTDOWN NOSAVE: the server exits and everything it held is gone. */
  async shutdownNosave(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const client = new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    await client.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    client.disconnect();
    await exited;
  }

  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
}
