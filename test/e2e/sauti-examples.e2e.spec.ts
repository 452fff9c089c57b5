import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeAudio } from '../unit/audio/audio-probe';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { expectSautiWav } from './sauti-e2e.helpers';

const run = promisify(execFile);
const EXAMPLES = join(__dirname, '..', 'fixtures', 'sauti-doc-examples');
const STANDIN = join(EXAMPLES, 'requests-standin');
const DOCUMENT_HOST = 'https://sauti.finiflowlabs.com';

/** Whether the real `requests` package is importable; when not, only the urllib stand-in can run the snippets. */
function realRequestsAvailable(): boolean {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The documents' own examples (test/fixtures/sauti-doc-examples, verbatim), run unchanged except for
 * host, key and the example job id, against the real api and a real worker process. The Python
 * snippets run with the real `requests` package when it is installed and always also with the urllib
 * stand-in in requests-standin/ (see the README there), so a machine without `requests` still runs them.
 */
describe('Sauti documents: the curl and Python examples run unchanged', () => {
  let api: TestApi;
  let worker: ServiceProcess;
  let key: string;
  let workDir: string;
  let upstream: ScriptableUpstream;

  beforeAll(async () => {
    let env: Record<string, string>;
    ({ upstream, env } = await startJobFixture());
    api = await startTestApi(env);
    worker = spawnService('worker', env);
    await worker.waitForOutput(/worker started/);
    ({ apiKey: key } = await api.createTenant(100_000));
  });
  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'sauti-examples-'));
  });
  afterEach(() => rm(workDir, { recursive: true, force: true }));
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await api.close();
    await upstream.close();
  });

  const example = (name: string, jobId?: string) => {
    let text = readFileSync(join(EXAMPLES, name), 'utf8').replaceAll(DOCUMENT_HOST, api.baseUrl).replaceAll('YOUR_KEY', key);
    if (jobId) text = text.replaceAll('job_abc123', jobId);
    return text;
  };
  const shell = async (name: string, jobId?: string) =>
    (await run('bash', ['-c', example(name, jobId)], { cwd: workDir, encoding: 'utf8' })).stdout;
  const python = async (name: string, requestsModule: 'installed' | 'stand-in') => {
    const { PYTHONPATH: _inherited, ...inherited } = process.env;
    const env = requestsModule === 'stand-in' ? { ...inherited, PYTHONPATH: STANDIN } : inherited;
    const { stdout } = await run('python3', ['-c', example(name)], { cwd: workDir, env, encoding: 'utf8', timeout: 60_000 });
    return stdout;
  };
  const expectPlayableWav = async (bytes: Buffer) => {
    expectSautiWav(bytes);
    expect(await probeAudio(bytes, 'wav')).toMatchObject({ formatName: 'wav', codecName: 'pcm_s16le', channels: 1, sampleRate: 16000 });
  };
  const modules: Array<'installed' | 'stand-in'> = realRequestsAvailable() ? ['installed', 'stand-in'] : ['stand-in'];

  it('TTS curl: the JSON answer carries a playable 16 kHz WAV', async () => {
    const answer = JSON.parse(await shell('tts.curl.sh'));
    expect(answer).toMatchObject({ content_type: 'audio/wav', characters_synthesized: 40, voice_id: 'sauti-swahili-v1' });
    await expectPlayableWav(Buffer.from(answer.audio_base64, 'base64'));
  });

  it.each(modules)('TTS Python snippet (requests %s) writes output.wav', async (requestsModule) => {
    const stdout = await python('tts.py', requestsModule);
    expect(stdout).toMatch(/^Saved \d+(\.\d+)?s of audio\n$/);
    await expectPlayableWav(await readFile(join(workDir, 'output.wav')));
  });

  it('Jobs curl: create, poll the status until succeeded, download long_speech.wav', async () => {
    const created = JSON.parse(await shell('jobs-create.curl.sh'));
    expect(created).toMatchObject({ job_id: expect.stringMatching(/^job_/), status: 'queued' });
    const deadline = Date.now() + 30_000;
    let status: { status: string; completed_at?: string };
    do {
      status = JSON.parse(await shell('jobs-status.curl.sh', created.job_id));
      if (status.status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 200));
    } while (status.status !== 'succeeded' && status.status !== 'failed' && Date.now() < deadline);
    expect(status).toMatchObject({
      job_id: created.job_id,
      status: 'succeeded',
      created_at: created.created_at,
      completed_at: expect.any(String),
    });
    await shell('jobs-audio.curl.sh', created.job_id);
    await expectPlayableWav(await readFile(join(workDir, 'long_speech.wav')));
  });

  it.each(modules)(
    'Jobs Python polling loop (requests %s) creates a job, polls until succeeded and writes a playable output.wav',
    async (requestsModule) => {
      const stdout = await python('jobs-polling.py', requestsModule);
      expect(stdout).toMatch(/^Job created: job_\w+\n/);
      expect(stdout).toMatch(/Audio saved\.\n$/);
      await expectPlayableWav(await readFile(join(workDir, 'output.wav')));
    },
  );
});
