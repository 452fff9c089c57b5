import { Injectable, OnModuleInit } from '@nestjs/common';
import { RequestFailure, RequestFailureListeners } from '../../common/errors/request-failures';
import { RootLogger } from '../../logging/root-logger';
import { RedisConnection } from '../../redis/redis-connection';

/** How many failed requests are kept: the page shows 100 after filtering, so keep ten times that. */
export const KEPT_REQUEST_FAILURES = 1000;
const FAILURES_KEY = 'request-failures';

/**
 * The last failed requests (synchronous synthesis that failed at its providers, and any 5xx), as a
 * capped Redis list: LPUSH and LTRIM in one MULTI keep it at KEPT_REQUEST_FAILURES entries with no
 * sweeper, every api process writes to the same list, and a failure costs no PostgreSQL write (the
 * database may be what is failing). Entries are diagnostics, not records: a Redis restart loses them,
 * while failed jobs stay in PostgreSQL. Written after the answer is on its way, never awaited.
 */
@Injectable()
export class RequestFailureStore implements OnModuleInit {
  constructor(
    private readonly listeners: RequestFailureListeners,
    private readonly redis: RedisConnection,
    private readonly logger: RootLogger,
  ) {}

  onModuleInit(): void {
    this.listeners.add((failure) => void this.record(failure));
  }

  async record(failure: RequestFailure): Promise<void> {
    const key = this.redis.key(FAILURES_KEY);
    await this.redis.client
      .multi()
      .lpush(key, JSON.stringify(failure))
      .ltrim(key, 0, KEPT_REQUEST_FAILURES - 1)
      .exec()
      .catch((error: Error) => this.logger.pino.debug({ err: error.message }, 'request failure not kept'));
  }

  /** Newest first. */
  async recent(): Promise<RequestFailure[]> {
    const raws = await this.redis.client.lrange(this.redis.key(FAILURES_KEY), 0, KEPT_REQUEST_FAILURES - 1);
    return raws.map((raw) => JSON.parse(raw) as RequestFailure);
  }
}
