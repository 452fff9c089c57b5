import { FAKE_VOICE } from '../support/job-fixture';
import { expectBooks } from './support/books';
import { ApiProcess, errorLines, FaultLab, TONE, until } from './support/fault-lab';

/** Workers stopped with jobs in flight: killed outright, or asked to stop. Every job still ends once. */
describe('fault: workers killed (SIGKILL) and stopped (SIGTERM) with jobs in flight', () => {
  let lab: FaultLab;
  let api: ApiProcess;

  beforeAll(async () => {
    lab = await FaultLab.start();
    lab.upstream.defaultResponse = { ...TONE, delayMs: 600 };
    api = await lab.api();
  });
  afterAll(() => lab?.close());

  async function createJobs(apiKey: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${api.baseUrl}/v1/tts/jobs`, {
        method: 'POST',
        headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ text: `Kazi namba ${i} ya mfululizo.`, voice_id: FAKE_VOICE }),
      });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { job_id: string }).job_id);
    }
    return ids;
  }
  const count = async (ids: string[], status: string) => [...(await lab.jobStatuses(ids)).values()].filter((s) => s === status).length;

  it('SIGKILL with 20 jobs in flight: after a restart every job succeeds once, charged once', async () => {
    const initial = 100_000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    const ids = await createJobs(apiKey, 20);
    const victim = await lab.worker();
    await until(async () => (await count(ids, 'succeeded')) >= 2 && (await count(ids, 'running')) === 2, 'jobs done and running');
    expect(await victim.stop('SIGKILL')).toBe('SIGKILL');
    const replacement = await lab.worker();
    await until(() => lab.allFinished(ids), 'every job finished', 90_000);
    expect(await count(ids, 'succeeded')).toBe(20);
    const rerun = await lab.query<{ n: number }>(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE id = ANY($1) AND attempts > 1`, [
      ids,
    ]);
    expect(rerun[0].n).toBeGreaterThanOrEqual(1); // the two it was running were taken over
    await expectBooks(lab, tenantId, initial, ids);
    expect(errorLines(replacement)).toEqual([]);
    await replacement.stop('SIGTERM');
  });

  it('SIGTERM with jobs in flight: the worker finishes what it runs and exits 0; the rest wait for the next worker', async () => {
    const initial = 100_000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    const ids = await createJobs(apiKey, 10);
    const stopping = await lab.worker();
    await until(async () => (await count(ids, 'running')) === 2, 'two jobs running');
    const running = (await lab.query<{ id: string }>(`SELECT id FROM synthesis_jobs WHERE id = ANY($1) AND status = 'running'`, [ids])).map(
      (row) => row.id,
    );
    expect(await stopping.stop('SIGTERM')).toBe(0);
    const statuses = await lab.jobStatuses(running);
    expect(running.map((id) => statuses.get(id))).toEqual(['succeeded', 'succeeded']); // drained, not abandoned
    expect(await count(ids, 'running')).toBe(0);
    expect(errorLines(stopping)).toEqual([]);
    const next = await lab.worker();
    await until(() => lab.allFinished(ids), 'every job finished', 90_000);
    expect(await count(ids, 'succeeded')).toBe(10);
    const rerun = await lab.query<{ n: number }>(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE id = ANY($1) AND attempts > 1`, [
      ids,
    ]);
    expect(rerun[0].n).toBe(0); // a clean stop loses no attempt
    await expectBooks(lab, tenantId, initial, ids);
    await next.stop('SIGTERM');
  });
});
