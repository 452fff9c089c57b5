import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../billing/credits.service';
import { TtsError } from '../../common/tts-error';
import type { ApiKeyEntity } from '../../tenants/api-key.entity';
import { ApiKeysService } from '../../tenants/api-keys.service';
import { keySpend } from '../../tenants/key-budget';
import { TenantsService } from '../../tenants/tenants.service';
import { SynthesisJobRepository } from '../../jobs/synthesis-job.repository';
import type {
  AdminApiKeyDto,
  AdminCreatedKeyDto,
  AdminCreatedTenantDto,
  AdminTenantDto,
  AdminTenantPageDto,
  VoiceUsageDto,
} from './admin-tenant.dto';
import { TenantSpendReader } from './tenant-spend.reader';

const TOP_VOICES = 3;
/** $1: null (all), part of a name (LIKE wildcards in it taken literally) or a whole id. */
const TENANT_MATCH = `($1::text IS NULL OR name ILIKE '%' || replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%' OR id::text = lower($1))`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TenantRow {
  id: string;
  name: string;
  credit_balance: string;
  created_at: Date;
  total: string;
}

export function describeKey(key: ApiKeyEntity): AdminApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    revoked_at: key.revokedAt,
    budget: keySpend(key),
  };
}

/**
 * Tenants for the dashboard: the same operations as the CLI (`tenants create`, `credits topup`,
 * `keys create|revoke|list`) through the same services, plus what an operator wants to see per tenant.
 */
@Injectable()
export class AdminTenantsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly apiKeys: ApiKeysService,
    private readonly credits: CreditsService,
    private readonly spend: TenantSpendReader,
    private readonly jobs: SynthesisJobRepository,
  ) {}

  /** One page of tenants by name; `q` matches part of the name or a whole id. */
  async list(query: { q?: string; limit: number; offset: number }): Promise<AdminTenantPageDto> {
    const q = query.q?.trim() || null;
    const rows: TenantRow[] = await this.dataSource.query(
      `SELECT id, name, credit_balance, created_at, count(*) OVER () AS total FROM tenants WHERE ${TENANT_MATCH}
        ORDER BY lower(name), id LIMIT $2 OFFSET $3`,
      [q, query.limit, query.offset],
    );
    // Past the last page the window count is absent: count on its own.
    const total =
      rows.length > 0
        ? Number(rows[0].total)
        : (await this.dataSource.query(`SELECT count(*)::int AS n FROM tenants WHERE ${TENANT_MATCH}`, [q]))[0].n;
    return { total, tenants: await this.describe(rows) };
  }

  /** One tenant; its reserved credits from the open usage events (an index), whatever the length of its history. */
  async get(tenantId: string): Promise<AdminTenantDto> {
    const tenant = await this.tenants.get(requireUuid(tenantId, 'tenant'));
    const [[described], summary] = await Promise.all([
      this.describe([
        { id: tenant.id, name: tenant.name, credit_balance: String(tenant.creditBalance), created_at: tenant.createdAt, total: '1' },
      ]),
      this.credits.balanceAndReserved(tenant.id),
    ]);
    return { ...described, balance: summary.balance, reserved: summary.reserved };
  }

  async create(name: string, credits: number): Promise<AdminCreatedTenantDto> {
    const { tenant, apiKey } = await this.tenants.create(name.trim(), credits);
    return { tenant: await this.get(tenant.id), api_key: { ...describeKey(apiKey.key), secret: apiKey.plaintext } };
  }

  /** `reference` makes a retried top-up (a double click, a retried script) count once. */
  async topUp(tenantId: string, amount: number, reference?: string): Promise<{ tenant_id: string; balance: number }> {
    const tenant = await this.tenants.get(requireUuid(tenantId, 'tenant'));
    const balance = await this.credits.topUp(tenant.id, amount, reference);
    return { tenant_id: tenant.id, balance };
  }

  async keys(tenantId: string): Promise<AdminApiKeyDto[]> {
    const tenant = await this.tenants.get(requireUuid(tenantId, 'tenant'));
    return (await this.apiKeys.list(tenant.id)).map(describeKey);
  }

  async createKey(tenantId: string, name: string): Promise<AdminCreatedKeyDto> {
    const { key, plaintext } = await this.apiKeys.create(requireUuid(tenantId, 'tenant'), name);
    return { ...describeKey(key), secret: plaintext };
  }

  async revokeKey(tenantId: string, keyId: string): Promise<AdminApiKeyDto> {
    const keys = await this.apiKeys.list(requireUuid(tenantId, 'tenant'));
    if (!keys.some((key) => key.id === keyId)) throw new TtsError('not_found', `Tenant ${tenantId} has no API key ${keyId}.`);
    return describeKey(await this.apiKeys.revoke(keyId));
  }

  private async describe(rows: TenantRow[]): Promise<AdminTenantDto[]> {
    const ids = rows.map((row) => row.id);
    const [spend, usage] = await Promise.all([this.spend.spendOf(ids), this.jobs.voiceUsage(ids, startOfMonthUtc())]);
    return rows.map((row) => {
      const own = spend.get(row.id)!;
      return {
        id: row.id,
        name: row.name,
        created_at: row.created_at,
        balance: Number(row.credit_balance),
        reserved: own.reserved,
        spend_today: own.today,
        spend_month: own.month,
        top_voices: topVoices(usage.filter((entry) => entry.tenant_id === row.id)),
      };
    });
  }
}

function topVoices(rows: Array<VoiceUsageDto & { tenant_id: string }>): VoiceUsageDto[] {
  return rows
    .sort((a, b) => b.characters - a.characters || b.jobs - a.jobs)
    .slice(0, TOP_VOICES)
    .map(({ voice, jobs, characters }) => ({ voice, jobs, characters }));
}

function startOfMonthUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** A malformed id names nothing: 404 like an unknown one, never a database error. */
export function requireUuid(id: string, what: string): string {
  if (!UUID.test(id)) throw new TtsError('not_found', `No ${what} ${id}.`);
  return id;
}
