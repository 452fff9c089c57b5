import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SynthesisJobRepository } from '../../jobs/synthesis-job.repository';

export interface TenantSpend {
  /** Credits charged (settled) since 00:00 UTC today, and since the 1st of this month (UTC). */
  today: number;
  month: number;
  /** Credits held by jobs in progress and by requests in flight (CreditsService.summary has the exact ledger figure). */
  reserved: number;
}

/**
 * What tenants spent, from the credit ledger: a settle row's charge is its reservation minus the refund
 * it records, dated by the settle; a cache_hit row's charge is its own amount. The one place the dashboard asks about spend: point it at the usage
 * service when that lands, and nothing else changes.
 */
@Injectable()
export class TenantSpendReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: SynthesisJobRepository,
  ) {}

  async spendOf(tenantIds: string[]): Promise<Map<string, TenantSpend>> {
    const spend = new Map<string, TenantSpend>(tenantIds.map((id) => [id, { today: 0, month: 0, reserved: 0 }]));
    if (tenantIds.length === 0) return spend;
    const [charged, reserved] = await Promise.all([
      this.dataSource.query(
        `SELECT tenant_id,
                COALESCE(sum(charge) FILTER (WHERE at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0)::float8 AS today,
                COALESCE(sum(charge), 0)::float8 AS month
           FROM (SELECT s.tenant_id, -r.amount - s.amount AS charge, s.created_at AS at
                   FROM credit_ledger s JOIN credit_ledger r ON r.reference = s.reference AND r.kind = 'reserve'
                  WHERE s.tenant_id = ANY($1::uuid[]) AND s.kind = 'settle'
                    AND s.created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                 UNION ALL
                 SELECT tenant_id, -amount, created_at FROM credit_ledger
                  WHERE tenant_id = ANY($1::uuid[]) AND kind = 'cache_hit'
                    AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') charges
          GROUP BY tenant_id`,
        [tenantIds],
      ),
      this.jobs.heldCreditsOf(tenantIds),
    ]);
    for (const row of charged as Array<{ tenant_id: string; today: number; month: number }>)
      Object.assign(spend.get(row.tenant_id)!, { today: row.today, month: row.month });
    for (const row of reserved) spend.get(row.tenant_id)!.reserved = row.reserved;
    return spend;
  }
}
