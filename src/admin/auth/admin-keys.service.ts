import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { hashApiKey } from '../../tenants/api-key-material';
import { AdminKeyEntity } from './admin-key.entity';
import { adminKeyDisplayPrefix, generateAdminKey } from './admin-key-material';

/** Who is acting on the admin API: the deployment's admin token, or one operator's admin key. */
export interface AdminIdentity {
  kind: 'token' | 'key';
  /** `token`, or the admin key's id. */
  id: string;
  name: string;
}

export interface CreatedAdminKey {
  key: AdminKeyEntity;
  /** Shown once; only its hash is stored. */
  plaintext: string;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** `last_used_at` is written at most this often per key: it says "in use lately", not every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Admin keys: made, listed and revoked with the CLI, checked by the admin API. Look-ups are cached for
 * API_KEY_CACHE_TTL_MS like tenant keys, so a revocation applies within that time in every api process.
 */
@Injectable()
export class AdminKeysService {
  private readonly byHash = new Map<string, Cached<AdminIdentity | undefined>>();
  private readonly activeById = new Map<string, Cached<boolean>>();
  private anyActiveCache?: Cached<boolean>;
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** A new key; with `replace`, the active keys of the same name are revoked in the same transaction. */
  async create(name: string, options: { replace?: boolean } = {}): Promise<CreatedAdminKey> {
    const plaintext = generateAdminKey();
    const key = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(AdminKeyEntity);
      if (options.replace) await repository.update({ name, revokedAt: IsNull() }, { revokedAt: new Date() });
      return repository.save({
        name,
        keyHash: hashApiKey(plaintext),
        prefix: adminKeyDisplayPrefix(plaintext),
        lastUsedAt: null,
        revokedAt: null,
      });
    });
    this.forget();
    return { key, plaintext };
  }

  list(): Promise<AdminKeyEntity[]> {
    return this.dataSource.getRepository(AdminKeyEntity).find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string): Promise<AdminKeyEntity> {
    const repository = this.dataSource.getRepository(AdminKeyEntity);
    const key = await repository.findOneBy({ id }).catch(() => null);
    if (!key) throw new TtsError('not_found', `Admin key ${id} does not exist.`);
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      await repository.update({ id }, { revokedAt: key.revokedAt });
    }
    this.forget();
    return key;
  }

  /** The identity behind a plaintext admin key, or undefined for an unknown or revoked one. */
  async authenticate(plaintext: string): Promise<AdminIdentity | undefined> {
    const hash = hashApiKey(plaintext);
    const identity = await this.cached(this.byHash, hash, async () => {
      const key = await this.dataSource.getRepository(AdminKeyEntity).findOneBy({ keyHash: hash, revokedAt: IsNull() });
      return key ? { kind: 'key' as const, id: key.id, name: key.name } : undefined;
    });
    if (identity) this.noteUse(identity.id);
    return identity;
  }

  /** Whether the key is still active (a session made with it ends when it is revoked). */
  isActive(id: string): Promise<boolean> {
    return this.cached(this.activeById, id, async () =>
      this.dataSource.getRepository(AdminKeyEntity).existsBy({ id, revokedAt: IsNull() }),
    );
  }

  /** Whether any admin key is active: with one, the admin API is on even without ADMIN_TOKEN. */
  async anyActive(): Promise<boolean> {
    const now = Date.now();
    if (this.anyActiveCache && this.anyActiveCache.expiresAt > now) return this.anyActiveCache.value;
    const value = await this.dataSource.getRepository(AdminKeyEntity).existsBy({ revokedAt: IsNull() });
    this.anyActiveCache = { value, expiresAt: now + this.config.auth.keyCacheTtlMs };
    return value;
  }

  private async cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = await load();
    if (this.config.auth.keyCacheTtlMs > 0) cache.set(key, { value, expiresAt: now + this.config.auth.keyCacheTtlMs });
    return value;
  }

  private noteUse(id: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(id, now);
    void this.dataSource
      .getRepository(AdminKeyEntity)
      .update({ id }, { lastUsedAt: new Date(now) })
      .catch(() => undefined);
  }

  private forget(): void {
    this.byHash.clear();
    this.activeById.clear();
    this.anyActiveCache = undefined;
  }
}
