import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../redis/redis-connection';
import { HealthRegistry } from './health-registry';
import type { ReadinessReport } from './readiness-check';

function safeTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('postgres') ? 5432 : 6379)}`;
}

async function timed(probe: () => Promise<unknown>): Promise<{ latencyMs: number }> {
  const started = performance.now();
  await probe();
  return { latencyMs: Math.round((performance.now() - started) * 100) / 100 };
}

/** Registers the two dependencies every process has: Postgres and Redis. */
@Injectable()
export class DependencyChecks implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: RedisConnection,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const database = safeTarget(this.config.database.url);
    const redis = safeTarget(this.config.redis.url);
    this.registry.register({
      key: 'database',
      critical: true,
      check: async (): Promise<ReadinessReport> => ({
        status: 'up',
        target: database,
        ...(await timed(() => this.dataSource.query('SELECT 1'))),
      }),
    });
    this.registry.register({
      key: 'redis',
      critical: true,
      check: async (): Promise<ReadinessReport> => ({ status: 'up', target: redis, ...(await timed(() => this.redis.client.ping())) }),
    });
  }
}
