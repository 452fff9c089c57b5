import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { effectiveLimits, TenantLimitOverrides } from '../config/rate-limits.config';
import type { Principal } from '../common/request-context';
import { TtsError } from '../common/tts-error';
import { RootLogger } from '../logging/root-logger';
import { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-material';
import { KeyBudget } from './key-budget';
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
  /** When a request last presented the key (Date.now()). */
  usedAt: number;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A key presented within this long is looked up again before its cache entry expires (all such keys in
 * one statement, every half API_KEY_CACHE_TTL_MS), so a key in use never waits on PostgreSQL to be
 * authenticated, however rarely it calls. Keys idle for longer expire as before.
 */
const KEEP_WARM_MS = 10 * 60_000;

/** How often usage times are written back: `last_used_at` is accurate to about this. */
const LAST_USED_FLUSH_MS = 30_000;

@Injectable()
export class ApiKeysService implements OnModuleDestroy {
  private readonly cache = new Map<string, CachedLookup>();
  private readonly pendingLastUsed = new Map<string, Date>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly refreshTimer?: NodeJS.Timeout;
  private refreshing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {
    this.flushTimer = setInterval(() => void this.flushLastUsed(), LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
    const ttl = config.auth.keyCacheTtlMs;
    if (ttl > 0) {
      this.refreshTimer = setInterval(() => void this.refreshKeysInUse(), Math.max(ttl / 2, 50));
      this.refreshTimer.unref();
    }
  }

  /** A new key, with a budget when one is given (none: no limit, its spend counted per month). */
  async create(tenantId: string, name: string, budget?: KeyBudget): Promise<CreatedApiKey> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (!tenant) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    const plaintext = generateApiKey();
    const saved = await this.dataSource.getRepository(ApiKeyEntity).save({
      tenantId,
      name,
      keyHash: hashApiKey(plaintext),
      prefix: displayPrefix(plaintext),
      lastUsedAt: null,
      revokedAt: null,
      creditLimit: budget?.creditLimit ?? null,
      budgetPeriod: budget?.period ?? 'month',
    });
    // Read back: the spend columns are filled by their defaults.
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id: saved.id });
    return { key, plaintext };
  }

  /**
   * Sets or removes a key's budget. A new period starts its count from the key's usage events in
   * that period (reservations minus refunds), so changing day ↔ month never forgets what was spent;
   * the same period keeps its running count. `tenantId` confines the change to that tenant's keys.
   */
  async setBudget(keyId: string, budget: KeyBudget, tenantId?: string): Promise<ApiKeyEntity> {
    if (!UUID_PATTERN.test(keyId)) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    // An UPDATE … RETURNING answers [rows, count].
    const [rows]: [Array<{ id: string }>, number] = await this.dataSource.query(
      `UPDATE api_keys k
          SET credit_limit = $2::bigint, budget_period = $3::varchar,
              period_spent = CASE WHEN k.budget_period = $3::varchar AND k.period_start = budget_period_start($3::varchar, now()) THEN k.period_spent
                                  ELSE COALESCE((SELECT sum(e.reserved - e.refunded) FROM usage_events e
                                                  WHERE e.tenant_id = k.tenant_id AND e.api_key_id = k.id
                                                    AND e.created_at >= budget_period_start($3::varchar, now())), 0) END,
              period_start = budget_period_start($3::varchar, now())
        WHERE k.id = $1 AND ($4::uuid IS NULL OR k.tenant_id = $4) AND k.revoked_at IS NULL
        RETURNING k.id`,
      [keyId, budget.creditLimit, budget.period, tenantId ?? null],
    );
    if (rows.length === 0) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    return this.dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id: keyId });
  }

  async rename(keyId: string, tenantId: string, name: string): Promise<void> {
    const result = await this.dataSource.getRepository(ApiKeyEntity).update({ id: keyId, tenantId, revokedAt: IsNull() }, { name });
    if (!result.affected) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
  }

  /** Any tenant's key, revoked ones included (the CLI). */
  async get(keyId: string): Promise<ApiKeyEntity> {
    const key = UUID_PATTERN.test(keyId) ? await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id: keyId }) : null;
    if (!key) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    return key;
  }

  /** One key of a tenant, revoked ones included; not_found for another tenant's key. */
  async getOfTenant(tenantId: string, keyId: string): Promise<ApiKeyEntity> {
    const key = UUID_PATTERN.test(keyId) ? await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id: keyId, tenantId }) : null;
    if (!key) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    return key;
  }

  /**
   * Revokes a tenant's own key, refusing the last active one (the tenant would lock itself out). The
   * tenant row's lock serialises revocations, so two keys revoking each other cannot both succeed.
   */
  async revokeOfTenant(tenantId: string, keyId: string): Promise<ApiKeyEntity> {
    if (!UUID_PATTERN.test(keyId)) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, [tenantId]);
      const keys: Array<{ id: string }> = await manager.query(`SELECT id FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`, [
        tenantId,
      ]);
      if (!keys.some((key) => key.id === keyId)) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
      if (keys.length === 1)
        throw new TtsError('forbidden', 'This is the last active API key of the account; create another before deleting it.');
      await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
    });
    this.forget(keyId);
    return this.dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id: keyId });
  }

  async revoke(keyId: string): Promise<ApiKeyEntity> {
    const repository = this.dataSource.getRepository(ApiKeyEntity);
    const key = await repository.findOneBy({ id: keyId });
    if (!key) throw new TtsError('not_found', `API key ${keyId} does not exist.`);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await repository.update({ id: keyId }, { revokedAt: key.revokedAt });
    }
    this.forget(keyId);
    return key;
  }

  private forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal?.apiKeyId === keyId) this.cache.delete(hash);
  }

  list(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** The principal behind a plaintext key, or undefined for an unknown or revoked one. */
  async authenticate(plaintext: string): Promise<Principal | undefined> {
    const hash = hashApiKey(plaintext);
    const now = Date.now();
    const cached = this.cache.get(hash);
    let principal: Principal | undefined;
    if (cached && cached.expiresAt > now) {
      cached.usedAt = now;
      principal = cached.principal;
    } else {
      principal = await this.lookUp(hash, now);
    }
    if (principal) this.pendingLastUsed.set(principal.apiKeyId, new Date(now));
    return principal;
  }

  private async lookUp(hash: string, now: number): Promise<Principal | undefined> {
    const row = (await this.activeKeys([hash])).get(hash);
    const principal = row && this.principalOf(row);
    const ttl = this.config.auth.keyCacheTtlMs;
    if (ttl > 0) this.cache.set(hash, { principal, expiresAt: now + ttl, usedAt: now });
    return principal;
  }

  /** The unrevoked keys among `hashes`, with their tenant's limits, by hash. */
  private async activeKeys(hashes: string[]): Promise<Map<string, PrincipalRow>> {
    const rows: Array<PrincipalRow & { key_hash: string }> = await this.dataSource.query(
      `SELECT k.key_hash, k.id AS key_id, t.id AS tenant_id, t.name AS tenant_name,
              t.rate_limit_requests_per_minute AS "requestsPerMinute", t.rate_limit_job_creates_per_minute AS "jobCreatesPerMinute",
              t.rate_limit_job_polls_per_minute AS "jobPollsPerMinute", t.max_active_jobs AS "maxActiveJobs"
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE k.key_hash = ANY($1::char(64)[]) AND k.revoked_at IS NULL`,
      [hashes],
    );
    return new Map(rows.map((row) => [row.key_hash, row]));
  }

  private principalOf(row: PrincipalRow): Principal {
    return {
      apiKeyId: row.key_id,
      tenantId: row.tenant_id,
      tenantName: row.tenant_name,
      limits: effectiveLimits(row, this.config.rateLimits.defaults),
    };
  }

  /**
   * Looks up again, in one statement, every cached key presented within KEEP_WARM_MS, and drops expired
   * entries. An entry is extended only by a lookup that found its key unrevoked, counted from when that
   * lookup was sent, so a revocation still applies within API_KEY_CACHE_TTL_MS everywhere (the next
   * refresh, at most half of it later, drops the key). An entry replaced or forgotten meanwhile (a
   * revocation in this process) is left alone. When PostgreSQL cannot answer, entries expire as before.
   */
  async refreshKeysInUse(): Promise<void> {
    if (this.refreshing || !this.dataSource.isInitialized) return;
    this.refreshing = true;
    try {
      const sent = Date.now();
      const inUse = new Map<string, CachedLookup>();
      for (const [hash, entry] of this.cache) {
        if (entry.expiresAt <= sent) this.cache.delete(hash);
        else if (entry.principal && sent - entry.usedAt <= KEEP_WARM_MS) inUse.set(hash, entry);
      }
      if (inUse.size === 0) return;
      const found = await this.activeKeys([...inUse.keys()]);
      for (const [hash, entry] of inUse) {
        if (this.cache.get(hash) !== entry) continue;
        const row = found.get(hash);
        if (!row) this.cache.delete(hash);
        else {
          entry.principal = this.principalOf(row);
          entry.expiresAt = sent + this.config.auth.keyCacheTtlMs;
        }
      }
    } catch (error) {
      this.logger.pino.warn({ err: error }, 'could not refresh the API keys in use; their cache entries expire as usual');
    } finally {
      this.refreshing = false;
    }
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
    clearInterval(this.refreshTimer);
    await this.flushLastUsed();
  }
}
