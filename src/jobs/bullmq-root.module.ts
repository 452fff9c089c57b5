import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { redisOptions, RedisRole } from '../redis/redis-options';

/** BullMQ's connection for a process: producers fail fast, workers wait for Redis. */
@Module({})
export class BullmqRootModule {
  static forRole(role: Exclude<RedisRole, 'client'>): DynamicModule {
    return {
      module: BullmqRootModule,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ connection: redisOptions(config.redis.url, role), prefix: config.redis.prefix }),
        }),
      ],
    };
  }
}
