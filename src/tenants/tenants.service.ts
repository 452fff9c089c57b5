import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TtsError } from '../common/tts-error';
import { CreditsService } from '../billing/credits.service';
import { AppConfig } from '../config/app-config';
import { effectiveLimits, TenantLimits } from '../config/rate-limits.config';
import { ApiKeysService, CreatedApiKey } from './api-keys.service';
import { TenantEntity } from './tenant.entity';

export interface CreatedTenant {
  tenant: TenantEntity;
  apiKey: CreatedApiKey;
}

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeysService,
    private readonly credits: CreditsService,
    private readonly config: AppConfig,
  ) {}

  /** Creates a tenant with its first API key and, when credits > 0, an opening top-up. */
  async create(name: string, credits: number): Promise<CreatedTenant> {
    const tenant = await this.dataSource.getRepository(TenantEntity).save({ name, creditBalance: 0 });
    const apiKey = await this.apiKeys.create(tenant.id, 'default');
    if (credits > 0) tenant.creditBalance = await this.credits.topUp(tenant.id, credits);
    return { tenant, apiKey };
  }

  list(): Promise<TenantEntity[]> {
    return this.dataSource.getRepository(TenantEntity).find({ order: { createdAt: 'ASC' } });
  }

  async get(tenantId: string): Promise<TenantEntity> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (!tenant) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    return tenant;
  }

  /**
   * Sets (or, with null, removes) the balance below which the tenant wants to hear about it. A new
   * threshold re-arms the signal; a balance already below it counts as a crossing at once.
   */
  async setLowBalanceThreshold(tenantId: string, threshold: number | null): Promise<TenantEntity> {
    if (threshold !== null && (!Number.isSafeInteger(threshold) || threshold < 0))
      throw new TtsError('invalid_request', 'low_balance_threshold must be a whole number of credits ≥ 0, or null.', {
        field: 'low_balance_threshold',
      });
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE tenants SET low_balance_threshold = $2::bigint,
              low_balance_alerted = CASE WHEN low_balance_threshold IS NOT DISTINCT FROM $2::bigint THEN low_balance_alerted ELSE false END
        WHERE id = $1 RETURNING id`,
      [tenantId, threshold],
    );
    if (rows.length === 0) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    return this.get(tenantId);
  }

  /** The tenant's own limits where set, the configured defaults otherwise. */
  limitsOf(tenant: TenantEntity): TenantLimits {
    return effectiveLimits(tenant, this.config.rateLimits.defaults);
  }
}
