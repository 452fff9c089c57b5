import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

// Runs the compiled CLI (dist/src/cli.js): `npm run build` first.
const CLI = resolve(__dirname, '../../../dist/src/cli.js');

/** A loopback port nothing listens on any more: the download is refused, as without a network. */
function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    }),
  );
}

describe('voices CLI', () => {
  let voicesDir: string;
  let mirror: string;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, VOICES_DIR: voicesDir, VOICE_CATALOG_BASE_URL: mirror },
    });

  beforeAll(async () => (mirror = `http://127.0.0.1:${await closedPort()}`));

  beforeEach(() => (voicesDir = mkdtempSync(join(tmpdir(), 'sauti-cli-voices-'))));
  afterEach(() => rmSync(voicesDir, { recursive: true, force: true }));

  it('lists declared voices as installed or missing', () => {
    const result = cli('voices', 'list', '--json');
    expect(result.status).toBe(0);
    const { voices } = JSON.parse(result.stdout) as { voices: { id: string; state: string; testVoice: boolean }[] };
    expect(voices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'sauti-test-v1', state: 'installed', testVoice: true }),
        expect.objectContaining({ id: 'sauti-swahili-v1', state: 'missing' }),
      ]),
    );
  });

  it('fails with a one-line message and a non-zero exit when the download is impossible', () => {
    const result = cli('voices', 'install', 'sauti-swahili-v1');
    expect(result.status).toBe(1);
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^error: cannot install sw_CD-lanfrica-medium\.onnx from http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(voicesDir)).toEqual([]);
  });
});
