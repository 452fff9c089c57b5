import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { HealthRegistry } from '../health/health-registry';
import type { ReadinessReport } from '../health/readiness-check';
import { RedisConnection } from '../redis/redis-connection';
import { SYNTHESIS_QUEUE } from './queue-names';

/** `/health/ready` entries for the synthesis queue and the worker processes' heartbeats. */
@Injectable()
export class JobHealthChecks implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue,
    private readonly redis: RedisConnection,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      key: 'queue',
      critical: false,
      check: async (): Promise<ReadinessReport> => {
        const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        return { status: 'up', name: SYNTHESIS_QUEUE, ...counts };
      },
    });
    this.registry.register({
      key: 'workers',
      critical: false,
      check: async (): Promise<ReadinessReport> => {
        const keys = await this.redis.client.keys(this.redis.key('workers', '*'));
        const beats = keys.length ? await this.redis.client.mget(...keys) : [];
        const workers = beats.filter((beat): beat is string => beat !== null).map((beat) => JSON.parse(beat) as { workerId: string; at: string });
        return workers.length > 0
          ? { status: 'up', count: workers.length, workers }
          : { status: 'degraded', count: 0, message: 'No worker process has reported in the last 15 s: async jobs wait until one runs (npm run start:worker).' };
      },
    });
  }
}
