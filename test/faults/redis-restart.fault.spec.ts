import { FAKE_VOICE } from '../support/job-fixture';
import type { ServiceProcess } from '../support/service-process';
import { expectBooks } from './support/books';
import { ApiProcess, errorLines, FaultLab, sleep, TONE, until } from './support/fault-lab';

/**
 * Redis loses everything (SHUTDOWN NOSAVE, restarted empty a few seconds later) while jobs wait in
 * the queue: the queue entries are gone, PostgreSQL still says `queued`. The worker's maintenance,
 * which no longer lives in Redis, relays them and they finish, each once.
 */
describe('fault: Redis restarted empty with jobs waiting in the queue', () => {
  let lab: FaultLab;
  let api: ApiProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    // One job at a time, so most of them are still waiting in Redis when it goes.
    lab = await FaultLab.start({ INFERENCE_POOL_SIZE: '1' });
    lab.upstream.defaultResponse = { ...TONE, delayMs: 300 };
    api = await lab.api();
    worker = await lab.worker();
  });
  afterAll(() => lab?.close());

  const create = (apiKey: string, text: string) =>
    fetch(`${api.baseUrl}/v1/tts/jobs`, {
      method: 'POST',
      headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text, voice_id: FAKE_VOICE }),
    });

  it('every job finishes once and the books balance; the api answers 503 with Retry-After while Redis is away', async () => {
    const initial = 100_000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      const response = await create(apiKey, `Kazi ya foleni ${i}.`);
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { job_id: string }).job_id);
    }
    await until(async () => [...(await lab.jobStatuses(ids)).values()].includes('succeeded'), 'a first job done');
    const waiting = [...(await lab.jobStatuses(ids)).values()].filter((status) => status === 'queued').length;
    expect(waiting).toBeGreaterThanOrEqual(8);

    await lab.redis.shutdownNosave();
    const during = await create(apiKey, 'Redis haipo.');
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await sleep(3000);
    await lab.redis.start(); // empty: nothing saved, nothing loaded

    await until(() => lab.allFinished(ids), 'every job finished after Redis came back', 60_000);
    expect([...(await lab.jobStatuses(ids)).values()].every((status) => status === 'succeeded')).toBe(true);
    expect(worker.output()).toMatch(/relayed unfinished jobs missing from the queue/);

    // The worker takes new work after the restart, too.
    const after = await create(apiKey, 'Baada ya Redis kurudi.');
    expect(after.status).toBe(202);
    const afterId = ((await after.json()) as { job_id: string }).job_id;
    await until(() => lab.allFinished([afterId]), 'a job created after the restart');

    await expectBooks(lab, tenantId, initial, [...ids, afterId]);
    expect(errorLines(api)).toEqual([]);
    expect(errorLines(worker)).toEqual([]);
  });
});
