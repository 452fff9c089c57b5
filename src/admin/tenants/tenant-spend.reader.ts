import { Injectable } from '@nestjs/common';
import { UsageRepository } from '../../usage/usage.repository';

export interface TenantSpend {
  /** Credits charged (settled) since 00:00 UTC today, and since the 1st of this month (UTC). */
  today: number;
  month: number;
  /** Credits held by jobs in progress and by requests in flight (open usage events; CreditsService.summary recomputes it from the ledger). */
  reserved: number;
}

/**
 * What tenants spent, from the usage rollups (docs/usage.md): a request's charge is its reservation
 * minus its refund, dated by when it was made, in UTC; what is reserved is what open reservations hold.
 * The one place the dashboard asks about spend.
 */
@Injectable()
export class TenantSpendReader {
  constructor(private readonly usage: UsageRepository) {}

  async spendOf(tenantIds: string[], now = new Date()): Promise<Map<string, TenantSpend>> {
    const spend = new Map<string, TenantSpend>(tenantIds.map((id) => [id, { today: 0, month: 0, reserved: 0 }]));
    if (tenantIds.length === 0) return spend;
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    for (const row of await this.usage.spendOf(tenantIds, dayStart, monthStart))
      spend.set(row.tenant_id, { today: row.today, month: row.month, reserved: row.reserved });
    return spend;
  }
}
