import { MIGRATIONS } from '../../migrations';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { adminDatabaseUrl, testDatabaseName, testSettings } from '../support/test-settings';

/**
 * Pins what every admin command prints, byte for byte, with `--json` (scripts parse it) and without
 * (operators read it). Values that differ per run (ids, keys, times, paths) are replaced by placeholders;
 * everything else, key order and the trailing newline included, must stay exactly as it is.
 */
const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const FIXTURES = join(__dirname, '..', 'fixtures', 'voices');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
const API_KEY = /sk_sauti_[A-Za-z0-9_-]{43}/g;
const KEY_PREFIX = /sk_sauti_[A-Za-z0-9_-]{6}(?=["…])/g;

function normalise(output: string, extra: Array<[string, string]> = []): string {
  let text = output;
  for (const [value, placeholder] of extra) text = text.split(value).join(placeholder);
  return text.replace(UUID, '<uuid>').replace(ISO_TIME, '<time>').replace(API_KEY, '<api-key>').replace(KEY_PREFIX, '<key-prefix>');
}

/** One voice file server on loopback: the test voice's bytes under the Swahili voice's file names. */
function startVoiceServer(): Promise<{ server: Server; baseUrl: string }> {
  const model = readFileSync(join(FIXTURES, 'sauti-test-v1.onnx'));
  const config = readFileSync(join(FIXTURES, 'sauti-test-v1.onnx.json'));
  const server = createServer((request, response) => {
    const body = request.url?.endsWith('.onnx.json') ? config : request.url?.endsWith('.onnx') ? model : undefined;
    if (!body) response.writeHead(404).end();
    else response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

describe('admin CLI output (pinned: scripts and operators depend on it)', () => {
  const cliDatabase = `${testDatabaseName()}_cli`;
  const cliDatabaseUrl = `${adminDatabaseUrl().replace(/\/postgres$/, '')}/${cliDatabase}`;
  let voicesDir: string;
  let voiceServer: { server: Server; baseUrl: string };
  let redis: Redis;

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; code: number }> {
    try {
      const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
      return { stdout, code: 0 };
    } catch (error) {
      const failed = error as { stdout: string; code: number };
      return { stdout: failed.stdout, code: failed.code };
    }
  }

  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: adminDatabaseUrl() });
    await client.connect();
    await client.query(sql);
    await client.end();
  }

  beforeAll(async () => {
    voicesDir = mkdtempSync(join(tmpdir(), 'sauti-cli-voices-'));
    voiceServer = await startVoiceServer();
    redis = new Redis(testSettings().REDIS_URL);
  });
  afterAll(async () => {
    rmSync(voicesDir, { recursive: true, force: true });
    await new Promise((resolve) => voiceServer.server.close(resolve));
    redis.disconnect();
    await admin(`DROP DATABASE IF EXISTS ${cliDatabase} WITH (FORCE)`);
  });

  it('db create | migrate | revert', async () => {
    const env = { DATABASE_URL: cliDatabaseUrl };
    expect(await cli(['db', 'create', '--json'], env)).toEqual({ stdout: '{"created":true}\n', code: 0 });
    expect(await cli(['db', 'create'], env)).toEqual({ stdout: 'database already exists\n', code: 0 });
    const migrated = await cli(['db', 'migrate', '--json'], env);
    // The shape is pinned; the list grows with every migration, oldest first.
    const names = MIGRATIONS.map((migration) => migration.name);
    expect(migrated).toEqual({ stdout: `${JSON.stringify({ applied: names })}\n`, code: 0 });
    expect(await cli(['db', 'migrate'], env)).toEqual({ stdout: 'schema is up to date\n', code: 0 });
    expect(await cli(['db', 'revert', '--json'], env)).toEqual({ stdout: '{"reverted":true}\n', code: 0 });
    expect(await cli(['db', 'migrate'], env)).toEqual({ stdout: `applied: ${names[names.length - 1]}\n`, code: 0 });
  });

  it('tenants, keys and credits', async () => {
    const created = await cli(['tenants', 'create', '--name', 'pinned tenant', '--credits', '250', '--json']);
    expect(normalise(created.stdout)).toBe('{"tenant":{"id":"<uuid>","name":"pinned tenant"},"apiKey":"<api-key>"}\n');
    const tenantId = (JSON.parse(created.stdout) as { tenant: { id: string } }).tenant.id;
    const ids: Array<[string, string]> = [[tenantId, '<tenant>']];

    const human = await cli(['tenants', 'create', '--name', 'pinned human', '--credits', '5']);
    expect(normalise(human.stdout)).toBe('tenant <uuid> (pinned human) with 5 credits\napi key (shown once): <api-key>\n');

    const listed = normalise((await cli(['tenants', 'list', '--json'])).stdout, ids);
    expect(listed).toMatch(/^\{"tenants":\[.*\]\}\n$/);
    expect(listed).toContain('{"id":"<tenant>","name":"pinned tenant","creditBalance":250,"createdAt":"<time>"}');
    expect(normalise((await cli(['tenants', 'list'])).stdout, ids)).toContain('<tenant>         250  pinned tenant\n');

    const key = await cli(['keys', 'create', '--tenant', tenantId, '--name', 'ci', '--json']);
    const keyId = (JSON.parse(key.stdout) as { key: { id: string } }).key.id;
    ids.push([keyId, '<key>']);
    expect(normalise(key.stdout, ids)).toBe(
      '{"key":{"id":"<key>","tenantId":"<tenant>","name":"ci","prefix":"<key-prefix>","createdAt":"<time>","lastUsedAt":null,"revokedAt":null,"budget":{"credit_limit":null,"period":"month","spent":0,"remaining":null,"period_start":"<time>","resets_at":"<time>"}},"apiKey":"<api-key>"}\n',
    );
    expect(normalise((await cli(['keys', 'create', '--tenant', tenantId])).stdout)).toBe('api key <uuid> (shown once): <api-key>\n');

    expect(normalise((await cli(['keys', 'revoke', keyId, '--json'])).stdout, ids)).toBe(
      '{"key":{"id":"<key>","tenantId":"<tenant>","name":"ci","prefix":"<key-prefix>","createdAt":"<time>","lastUsedAt":null,"revokedAt":"<time>","budget":{"credit_limit":null,"period":"month","spent":0,"remaining":null,"period_start":"<time>","resets_at":"<time>"}}}\n',
    );
    const keys = normalise((await cli(['keys', 'list', '--tenant', tenantId, '--json'])).stdout, ids);
    expect(keys).toMatch(
      /^\{"keys":\[(\{"id":"(<uuid>|<key>)","tenantId":"<tenant>","name":"[a-z]+","prefix":"<key-prefix>".*?\},?){3}\]\}\n$/,
    );
    expect(keys).toContain(
      '{"id":"<key>","tenantId":"<tenant>","name":"ci","prefix":"<key-prefix>","createdAt":"<time>","lastUsedAt":null,"revokedAt":"<time>","budget":{"credit_limit":null,"period":"month","spent":0,"remaining":null,"period_start":"<time>","resets_at":"<time>"}}',
    );
    expect(normalise((await cli(['keys', 'list', '--tenant', tenantId])).stdout, ids)).toContain('<key>  <key-prefix>…  revoked  ci\n');

    expect(normalise((await cli(['credits', 'topup', '--tenant', tenantId, '--amount', '50', '--json'])).stdout, ids)).toBe(
      '{"tenantId":"<tenant>","balance":300}\n',
    );
    expect((await cli(['credits', 'topup', '--tenant', tenantId, '--amount', '1'])).stdout).toBe('balance: 301\n');
    expect(normalise((await cli(['credits', 'show', '--tenant', tenantId, '--json'])).stdout, ids)).toBe(
      '{"tenantId":"<tenant>","balance":301,"reserved":0,"ledgerSum":301}\n',
    );
    expect((await cli(['credits', 'show', '--tenant', tenantId])).stdout).toBe('balance 301, reserved 0, ledger sum 301\n');
  });

  it('voices list and install', async () => {
    const env = { VOICES_DIR: voicesDir };
    const paths: Array<[string, string]> = [
      [voicesDir, '<voices-dir>'],
      [join(__dirname, '..', '..'), '<project>'],
    ];
    const before = normalise((await cli(['voices', 'list', '--json'], env)).stdout, paths);
    expect(before).toBe(
      '{"voices":[' +
        '{"id":"sauti-swahili-v1","format":"piper","testVoice":false,"files":{"model":"<voices-dir>/sw_CD-lanfrica-medium.onnx","config":"<voices-dir>/sw_CD-lanfrica-medium.onnx.json"},"installable":true,"state":"missing","reason":"missing <voices-dir>/sw_CD-lanfrica-medium.onnx, <voices-dir>/sw_CD-lanfrica-medium.onnx.json; install with: npm run cli -- voices install sauti-swahili-v1"},' +
        '{"id":"sauti-test-v1","format":"piper","testVoice":true,"files":{"model":"<project>/test/fixtures/voices/sauti-test-v1.onnx","config":"<project>/test/fixtures/voices/sauti-test-v1.onnx.json"},"installable":false,"state":"installed","sampleRate":16000},' +
        '{"id":"sauti-swahili-mms-v1","format":"catalogue only","testVoice":false,"state":"not declared","installable":true}' +
        ']}\n',
    );
    const install = ['voices', 'install', 'sauti-swahili-v1', '--base-url', voiceServer.baseUrl, '--json'];
    const installed = normalise((await cli(install, env)).stdout, paths);
    const files = ['sw_CD-lanfrica-medium.onnx', 'sw_CD-lanfrica-medium.onnx.json'].map((name, index) => {
      const bytes = readFileSync(join(FIXTURES, index === 0 ? 'sauti-test-v1.onnx' : 'sauti-test-v1.onnx.json'));
      return `{"name":"${name}","path":"<voices-dir>/${name}","status":"installed","bytes":${bytes.length},"sha256":"${sha256(bytes)}"}`;
    });
    expect(installed).toBe(`{"voiceId":"sauti-swahili-v1","dir":"<voices-dir>","alreadyInstalled":false,"files":[${files.join(',')}]}\n`);
    const again = normalise((await cli(install, env)).stdout, paths);
    expect(again).toBe(
      installed.replace('"alreadyInstalled":false', '"alreadyInstalled":true').replace(/"installed"/g, '"already-installed"'),
    );
    const human = normalise((await cli(install.slice(0, -1), env)).stdout, paths).replace(/[0-9a-f]{64}/g, '<sha256>');
    expect(human).toMatch(
      /^sauti-swahili-v1 is already installed in <voices-dir>\n {2}kept {5} <voices-dir>\/sw_CD-lanfrica-medium\.onnx \(\d+ bytes, sha256 <sha256>\)\n {2}kept {5} <voices-dir>\/sw_CD-lanfrica-medium\.onnx\.json \(\d+ bytes, sha256 <sha256>\)\n$/,
    );
    expect(normalise((await cli(['voices', 'list'], env)).stdout, paths)).toBe(
      'sauti-swahili-v1         piper          installed    16000 Hz\n' +
        'sauti-test-v1            piper          installed    16000 Hz (test voice)\n' +
        'sauti-swahili-mms-v1     catalogue only not declared \n',
    );
  });

  it('workers list and check', async () => {
    const { QUEUE_PREFIX: prefix } = testSettings();
    expect(await cli(['workers', 'list', '--json'])).toEqual({ stdout: '{"workers":[]}\n', code: 0 });
    expect(await cli(['workers', 'check', '--json'])).toEqual({ stdout: `{"host":"${hostname()}","alive":false}\n`, code: 1 });
    expect(await cli(['workers', 'check'])).toEqual({ stdout: `no live worker on ${hostname()}\n`, code: 1 });

    const workerId = `${hostname()}:4242`;
    const beat = { workerId, pid: 4242, at: '2026-12-01T10:00:00.000Z', providers: {} };
    await redis.set(`${prefix}:workers:${workerId}`, JSON.stringify(beat), 'EX', 60);
    await redis.sadd(`${prefix}:worker-ids`, workerId);
    try {
      expect(await cli(['workers', 'list', '--json'])).toEqual({ stdout: `{"workers":[${JSON.stringify(beat)}]}\n`, code: 0 });
      expect(await cli(['workers', 'list'])).toEqual({ stdout: `${workerId}  last seen 2026-12-01T10:00:00.000Z\n`, code: 0 });
      expect(await cli(['workers', 'check', '--json'])).toEqual({ stdout: `{"host":"${hostname()}","alive":true}\n`, code: 0 });
      expect(await cli(['workers', 'check'])).toEqual({ stdout: `alive: ${workerId}\n`, code: 0 });
    } finally {
      await redis.del(`${prefix}:workers:${workerId}`);
      await redis.srem(`${prefix}:worker-ids`, workerId);
    }
  });
});
