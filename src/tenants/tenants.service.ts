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

  /** The tenant's own limits where set, the configured defaults otherwise. */
  limitsOf(tenant: TenantEntity): TenantLimits {
    return effectiveLimits(tenant, this.config.rateLimits.defaults);
  }
}
