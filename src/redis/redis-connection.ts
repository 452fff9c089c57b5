import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { redisOptions } from './redis-options';

/** The process's general-purpose Redis client (rate limits, heartbeats, health). Keys go through `key()`. */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis;
  private readonly prefix: string;

  constructor(config: AppConfig, logger: RootLogger) {
    this.prefix = config.redis.prefix;
    this.client = new Redis(redisOptions(config.redis.url, 'client'));
    let reported = false;
    this.client.on('error', (error) => {
      if (!reported) logger.pino.warn({ err: error.message }, 'redis connection error');
      reported = true;
    });
    this.client.on('ready', () => (reported = false));
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Last of all, so other modules can still use Redis while they shut down. */
  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
