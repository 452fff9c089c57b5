import Redis from 'ioredis';
import { spawnService } from '../support/service-process';

describe('worker process', () => {
  it('starts, connects to Postgres and Redis, and exits cleanly on SIGTERM', async () => {
    const worker = spawnService('worker');
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      await worker.waitForOutput(/worker started/);
      const heartbeatPattern = `${process.env.QUEUE_PREFIX}:workers:*`;
      let heartbeats: string[] = [];
      for (let i = 0; i < 40 && heartbeats.length === 0; i++) {
        heartbeats = await redis.keys(heartbeatPattern);
        if (heartbeats.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(heartbeats).toHaveLength(1);

      const started = Date.now();
      const code = await worker.stop('SIGTERM');
      if (code !== 0) console.log(worker.output());
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await redis.keys(heartbeatPattern)).toEqual([]);
      expect(worker.output()).not.toMatch(/"level":"(error|fatal)"/);
    } finally {
      await worker.stop('SIGKILL');
      redis.disconnect();
    }
  });
});
