import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { VoiceCatalogConfig, VoicesConfig } from '../../../src/config/voices.config';
import { loadVoiceModel } from '../../../src/providers/vits/voice-models';
import { installVoice, InstallVoiceOptions } from '../../../src/providers/vits/voice.installer';

const FIXTURES = join(__dirname, '../../fixtures/voices');
const MODEL = readFileSync(join(FIXTURES, 'sauti-test-v1.onnx'));
const CONFIG = readFileSync(join(FIXTURES, 'sauti-test-v1.onnx.json'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A loopback server for the test voice; `/drop/…` sends half the body and destroys the socket. */
function startServer(): Promise<{ server: Server; baseUrl: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    const body = url.endsWith('.onnx.json') ? CONFIG : url.endsWith('.onnx') ? MODEL : undefined;
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    if (url.startsWith('/drop/')) {
      response.write(body.subarray(0, body.length >> 1), () => setTimeout(() => request.socket.destroy(), 20));
      return;
    }
    response.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

function catalog(baseUrl: string, modelSha = sha256(MODEL)): VoiceCatalogConfig {
  return plainToInstance(VoiceCatalogConfig, {
    voices: [
      {
        id: 'sauti-test-v1',
        files: [
          { name: 'sauti-test-v1.onnx', url: `${baseUrl}/files/sauti-test-v1.onnx`, size: MODEL.length, sha256: modelSha },
          { name: 'sauti-test-v1.onnx.json', url: `${baseUrl}/files/sauti-test-v1.onnx.json`, sha256: sha256(CONFIG) },
        ],
      },
    ],
  });
}

const voices = plainToInstance(VoicesConfig, {
  voices: [{ id: 'sauti-test-v1', format: 'piper', model: 'sauti-test-v1.onnx', test_voice: true }],
});

describe('voice installer against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let requests: string[];
  let voicesDir: string;

  beforeAll(async () => {
    ({ server, baseUrl, requests } = await startServer());
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    voicesDir = mkdtempSync(join(tmpdir(), 'sauti-voices-'));
    requests.length = 0;
  });
  afterEach(() => rmSync(voicesDir, { recursive: true, force: true }));

  const options = (extra: Partial<InstallVoiceOptions> = {}): InstallVoiceOptions => ({
    voiceId: 'sauti-test-v1',
    catalog: catalog(baseUrl),
    voices,
    voicesDir,
    timeoutMs: 5000,
    ...extra,
  });

  it('installs a voice the provider can then load, and a second install is a no-op', async () => {
    const first = await installVoice(options());
    expect(first.alreadyInstalled).toBe(false);
    expect(first.files.map((f) => f.status)).toEqual(['installed', 'installed']);
    expect(readFileSync(join(voicesDir, 'sauti-test-v1.onnx')).equals(MODEL)).toBe(true);
    expect(readdirSync(voicesDir).sort()).toEqual(['sauti-test-v1.onnx', 'sauti-test-v1.onnx.json']);
    expect(loadVoiceModel(voices.voices[0], voicesDir)).toMatchObject({ available: true, model: { sampleRate: 16000 } });

    requests.length = 0;
    const second = await installVoice(options());
    expect(second.alreadyInstalled).toBe(true);
    expect(requests).toEqual([]);
  });

  it('rejects a wrong sha256 and leaves nothing behind', async () => {
    const wrong = catalog(baseUrl, 'f'.repeat(64));
    await expect(installVoice(options({ catalog: wrong }))).rejects.toMatchObject({ message: expect.stringContaining('sha256') });
    expect(readdirSync(voicesDir)).toEqual([]);
  });

  it('leaves no half file when the connection drops mid-body', async () => {
    await expect(installVoice(options({ baseUrl: `${baseUrl}/drop` }))).rejects.toMatchObject({
      message: expect.stringContaining('sauti-test-v1.onnx'),
    });
    expect(readdirSync(voicesDir)).toEqual([]);
  });

  it('removes files it installed when a later file fails, and reports HTTP errors in one line', async () => {
    const broken = catalog(baseUrl);
    broken.voices[0].files[1].url = `${baseUrl}/missing/nothing-here`;
    const error = (await installVoice(options({ catalog: broken })).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/HTTP 404/);
    expect(error.message).not.toContain('\n');
    expect(readdirSync(voicesDir)).toEqual([]);
    expect(existsSync(join(voicesDir, 'sauti-test-v1.onnx'))).toBe(false);
  });

  it('fails with a clear one-line message when nothing answers', async () => {
    const closed = await startServer();
    const deadUrl = closed.baseUrl;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const error = (await installVoice(options({ baseUrl: deadUrl })).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/cannot install sauti-test-v1\.onnx from .*ECONNREFUSED/);
    expect(readdirSync(voicesDir)).toEqual([]);
  });

  it('names the installable voices when asked for an unknown one', async () => {
    await expect(installVoice(options({ voiceId: 'nope' }))).rejects.toMatchObject({
      code: 'unknown_voice',
      message: expect.stringContaining('sauti-test-v1'),
    });
  });
});
