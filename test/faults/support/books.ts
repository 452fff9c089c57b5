import type { FaultLab } from './fault-lab';

interface LedgerRow {
  reference: string;
  kind: 'topup' | 'reserve' | 'settle' | 'release';
  amount: string;
}

export interface Books {
  balance: number;
  initial: number;
  settled: number;
  /** Credits still held by reservations with neither settle nor release. */
  reserved: number;
  ledgerSum: number;
}

/**
 * The audit every fault test ends with, from the ledger itself: every reservation ended exactly once
 * (settled or released), the balance equals the initial credits minus what was settled and equals
 * the ledger's sum, and nothing is held any more. `jobIds`: each ended once (succeeded with a settle
 * and one stored result, or failed with a release).
 */
export async function expectBooks(lab: FaultLab, tenantId: string, initial: number, jobIds: string[] = []): Promise<Books> {
  const rows = await lab.query<LedgerRow>(`SELECT reference, kind, amount FROM credit_ledger WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
  const byReference = new Map<string, LedgerRow[]>();
  for (const row of rows) byReference.set(row.reference, [...(byReference.get(row.reference) ?? []), row]);
  let settled = 0;
  let reserved = 0;
  for (const [reference, entries] of byReference) {
    const kinds = entries.map((entry) => entry.kind);
    if (kinds[0] === 'topup') continue;
    const reserve = -Number(entries.find((entry) => entry.kind === 'reserve')?.amount ?? 0);
    const outcomes = entries.filter((entry) => entry.kind === 'settle' || entry.kind === 'release');
    if (kinds.filter((kind) => kind === 'reserve').length !== 1 || outcomes.length > 1)
      throw new Error(`${reference}: ledger ${kinds.join(', ')} (one reserve and at most one outcome expected)`);
    if (outcomes.length === 0) reserved += reserve;
    else if (outcomes[0].kind === 'settle') settled += reserve - Number(outcomes[0].amount);
  }
  const [tenant] = await lab.query<{ credit_balance: string }>(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]);
  const balance = Number(tenant.credit_balance);
  const ledgerSum = rows.reduce((sum, row) => sum + Number(row.amount), 0);
  expect({ reserved, balance, ledgerSum }).toEqual({ reserved: 0, balance: initial - settled, ledgerSum: initial - settled });
  const holds = await lab.query(`SELECT reference FROM credit_holds WHERE tenant_id = $1`, [tenantId]);
  expect(holds).toEqual([]);
  if (jobIds.length > 0) await expectJobsEndedOnce(lab, jobIds, byReference);
  return { balance, initial, settled, reserved, ledgerSum };
}

async function expectJobsEndedOnce(lab: FaultLab, jobIds: string[], ledger: Map<string, LedgerRow[]>): Promise<void> {
  const jobs = await lab.query<{ id: string; status: string; results: number }>(
    `SELECT j.id, j.status, (SELECT count(*)::int FROM job_results r WHERE r.job_id = j.id) AS results FROM synthesis_jobs j WHERE j.id = ANY($1)`,
    [jobIds],
  );
  expect(jobs).toHaveLength(jobIds.length);
  for (const job of jobs) {
    const kinds = (ledger.get(job.id) ?? []).map((entry) => entry.kind);
    const expected =
      job.status === 'succeeded' ? { kinds: ['reserve', 'settle'], results: 1 } : { kinds: ['reserve', 'release'], results: 0 };
    expect({ id: job.id, status: job.status, kinds, results: job.results }).toEqual({
      id: job.id,
      status: expect.stringMatching(/^(succeeded|failed)$/),
      ...expected,
    });
  }
}
