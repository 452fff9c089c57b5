import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { effectiveLimits, TenantLimitOverrides } from '../config/rate-limits.config';
import type { Principal } from '../common/request-context';
import { TtsError } from '../common/tts-error';
import { RootLogger } from '../logging/root-logger';
import { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-material';
import { TenantEntity } from './tenant.entity';

export interface CreatedApiKey {
  key: ApiKeyEntity;
  /** Shown once to the caller; only its hash is stored. */
  plaintext: string;
}

interface PrincipalRow extends TenantLimitOverrides {
  key_id: string;
  tenant_id: string;
  tenant_name: string;
}

interface CachedLookup {
  principal: Principal | undefined;
  expiresAt: number;
}

/** How often usage times are written back: `last_used_at` is accurate to about this. */
const LAST_USED_FLUSH_MS = 30_000;

@Injectable()
export class ApiKeysService implements OnModuleDestroy {
  private readonly cache = new Map<string, CachedLookup>();
  private readonly pendingLastUsed = new Map<string, Date>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {
    this.flushTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  async create(tenantId: string, name: string): Promise<CreatedApiKey> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (!tenant) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    const plaintext = generateApiKey();
    const key = await this.dataSource
      .getRepository(ApiKeyEntity)
      .save({ tenantId, name, keyHash: hashApiKey(plaintext), prefix: displayPrefix(plaintext), lastUsedAt: null, revokedAt: null });
    return { key, plaintext };
  }

  async revoke(keyId: string): Promise<ApiKeyEntity> {
    const repository = this.dataSource.getRepository(ApiKeyEntity);
    const key = await repository.findOneBy({ id: keyId });
    if (!key) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await repository.update({ id: keyId }, { revokedAt: key.revokedAt });
    }
    for (const [hash, entry] of this.cache) if (entry.principal?.apiKeyId === keyId) this.cache.delete(hash);
    return key;
  }

  list(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** The principal behind a plaintext key, or undefined for an unknown or revoked one. */
  async authenticate(plaintext: string): Promise<Principal | undefined> {
    const hash = hashApiKey(plaintext);
    const now = Date.now();
    const cached = this.cache.get(hash);
    const principal = cached && cached.expiresAt > now ? cached.principal : await this.lookUp(hash, now);
    if (principal) this.pendingLastUsed.set(principal.apiKeyId, new Date(now));
    return principal;
  }

  private async lookUp(hash: string, now: number): Promise<Principal | undefined> {
    const row: PrincipalRow | undefined = (
      await this.dataSource.query(
        `SELECT k.id AS key_id, t.id AS tenant_id, t.name AS tenant_name,
                t.rate_limit_requests_per_minute AS "requestsPerMinute", t.rate_limit_job_creates_per_minute AS "jobCreatesPerMinute",
                t.rate_limit_job_polls_per_minute AS "jobPollsPerMinute", t.max_active_jobs AS "maxActiveJobs"
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
          WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
        [hash],
      )
    )[0];
    const principal = row
      ? {
          apiKeyId: row.key_id,
          tenantId: row.tenant_id,
          tenantName: row.tenant_name,
          limits: effectiveLimits(row, this.config.rateLimits.defaults),
        }
      : undefined;
    const ttl = this.config.auth.keyCacheTtlMs;
    if (ttl > 0) this.cache.set(hash, { principal, expiresAt: now + ttl });
    return principal;
  }

  /** Writes the usage times gathered since the last flush in one statement per batch. */
  async flushLastUsed(): Promise<void> {
    if (this.pendingLastUsed.size === 0 || !this.dataSource.isInitialized) return;
    const batch = [...this.pendingLastUsed.entries()];
    this.pendingLastUsed.clear();
    try {
      await this.dataSource.query(
        `UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.used_at), u.used_at)
           FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at) WHERE k.id = u.id`,
        [batch.map(([id]) => id), batch.map(([, at]) => at.toISOString())],
      );
    } catch (error) {
      this.logger.pino.warn({ err: error }, 'could not record API key usage');
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastUsed();
  }
}
