import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '../metrics/metrics.registry';

/**
 * The low-balance signal for Prometheus, read at scrape time from Postgres (the crossings are
 * recorded there by a trigger, whichever process moved the balance): one series per tenant now
 * below its threshold, and the crossings recorded in all. Alert on the first, chart the second.
 */
@Injectable()
export class LowBalanceMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const dataSource = this.dataSource;
    this.metrics.gauge({
      name: 'sauti_tenant_low_balance',
      help: 'Tenants whose balance crossed below their low-balance threshold and has not been topped up since (1 per tenant)',
      labelNames: ['tenant_id'],
      async collect() {
        const rows: Array<{ id: string }> = await dataSource
          .query(`SELECT id FROM tenants WHERE low_balance_alerted AND low_balance_threshold IS NOT NULL`)
          .catch(() => []);
        this.reset();
        for (const row of rows) this.set({ tenant_id: row.id }, 1);
      },
    });
    this.metrics.gauge({
      name: 'sauti_low_balance_crossings',
      help: 'Low-balance crossings recorded since the service began (each crossing once)',
      async collect() {
        const rows: Array<{ n: string }> = await dataSource.query(`SELECT count(*) AS n FROM low_balance_events`).catch(() => [{ n: '0' }]);
        this.set(Number(rows[0].n));
      },
    });
  }
}
