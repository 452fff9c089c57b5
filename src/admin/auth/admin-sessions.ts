import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { RedisConnection } from '../../redis/redis-connection';
import { hashApiKey } from '../../tenants/api-key-material';
import type { AdminIdentity } from './admin-keys.service';

export interface AdminSession {
  identity: AdminIdentity;
  /** Sent back by the page in `x-csrf-token` on every change (synchronizer token, bound to this session). */
  csrfToken: string;
  /** The admin token's hash when the session was made: rotating ADMIN_TOKEN ends the sessions it opened. */
  tokenSha256?: string;
  createdAt: string;
}

export interface OpenedSession {
  /** The cookie's value; only its hash names the session in Redis. */
  secret: string;
  session: AdminSession;
}

/** Sessions live in Redis: while it is down, signing in and cookie sessions answer 503 (Bearer tokens still work). */
async function unavailableWithoutRedis<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw new TtsError('service_unavailable', 'Dashboard sessions cannot be read right now (Redis); try again shortly.', {
      retryAfterSeconds: 5,
      cause: error,
    });
  }
}

/** However active, a session ends this long after sign-in. */
const ABSOLUTE_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * Dashboard sessions in Redis, so every api process behind a load balancer knows them and a sign-out
 * anywhere ends them everywhere. Each read renews the idle lifetime (GETEX, one round trip).
 */
@Injectable()
export class AdminSessions {
  constructor(
    private readonly redis: RedisConnection,
    private readonly config: AppConfig,
  ) {}

  async open(identity: AdminIdentity): Promise<OpenedSession> {
    const secret = randomBytes(32).toString('base64url');
    const session: AdminSession = {
      identity,
      csrfToken: randomBytes(32).toString('base64url'),
      ...(identity.kind === 'token' ? { tokenSha256: this.config.admin.tokenSha256 } : {}),
      createdAt: new Date().toISOString(),
    };
    await unavailableWithoutRedis(
      this.redis.client.set(this.keyOf(secret), JSON.stringify(session), 'PX', this.config.admin.sessionIdleMs),
    );
    return { secret, session };
  }

  /** The live session behind a cookie value, its idle lifetime renewed; undefined when unknown or ended. */
  async read(secret: string): Promise<AdminSession | undefined> {
    const raw = await unavailableWithoutRedis(this.redis.client.getex(this.keyOf(secret), 'PX', this.config.admin.sessionIdleMs));
    if (!raw) return undefined;
    const session = JSON.parse(raw) as AdminSession;
    if (Date.now() - Date.parse(session.createdAt) > ABSOLUTE_LIFETIME_MS) {
      await this.close(secret);
      return undefined;
    }
    return session;
  }

  async close(secret: string): Promise<void> {
    await unavailableWithoutRedis(this.redis.client.del(this.keyOf(secret)));
  }

  private keyOf(secret: string): string {
    return this.redis.key('admin-session', hashApiKey(secret));
  }
}
