import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { hashApiKey } from '../../tenants/api-key-material';
import { AdminIdentity, AdminKeysService } from './admin-keys.service';
import type { AdminSession } from './admin-sessions';

const TOKEN_IDENTITY: AdminIdentity = Object.freeze({ kind: 'token', id: 'token', name: 'admin token' });

/** What an operator reads when the admin API is off; nothing else is said or served. */
export const HOW_TO_ENABLE_ADMIN =
  'Set ADMIN_TOKEN (at least 32 characters) or ADMIN_TOKEN_SHA256 in the api environment and restart it, ' +
  'or create an admin key with `npm run cli -- admin-keys create --name <you>`. See docs/dashboard.md.';

/**
 * Who may use the admin API: the holder of ADMIN_TOKEN (compared by SHA-256, in constant time) or of an
 * active admin key. Tenant API keys are never looked at here, so none of them opens it.
 */
@Injectable()
export class AdminAccess {
  constructor(
    private readonly config: AppConfig,
    private readonly adminKeys: AdminKeysService,
  ) {}

  /** On when ADMIN_TOKEN(_SHA256) is set or an admin key exists. */
  async enabled(): Promise<boolean> {
    return Boolean(this.config.admin.tokenSha256) || (await this.adminKeys.anyActive());
  }

  async verify(plaintext: string): Promise<AdminIdentity | undefined> {
    const tokenSha256 = this.config.admin.tokenSha256;
    if (tokenSha256 && sameHash(hashApiKey(plaintext), tokenSha256)) return TOKEN_IDENTITY;
    return this.adminKeys.authenticate(plaintext);
  }

  /** A session outlives neither its admin key nor the admin token it was opened with. */
  async stillValid(session: AdminSession): Promise<boolean> {
    if (session.identity.kind === 'token') {
      const current = this.config.admin.tokenSha256;
      return Boolean(current && session.tokenSha256 && sameHash(current, session.tokenSha256));
    }
    return this.adminKeys.isActive(session.identity.id);
  }
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Compares two secrets without leaking how much of them matched. */
export function sameSecret(presented: string, expected: string): boolean {
  return sameHash(hashApiKey(presented), hashApiKey(expected));
}
