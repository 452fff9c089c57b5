import { hostname } from 'node:os';
import { readWorkerHeartbeats } from '../jobs/worker-reports';
import { RedisConnection } from '../redis/redis-connection';
import type { CliCommand, CliContext } from './cli-command';

async function liveWorkers(context: CliContext) {
  return readWorkerHeartbeats((await context.app()).get(RedisConnection));
}

export const workerCommands: CliCommand[] = [
  {
    name: 'workers list',
    description: 'worker processes that reported in their last 3 intervals',
    async run(_args, context) {
      const workers = await liveWorkers(context);
      context.print(workers.map((w) => `${w.workerId}  last seen ${w.at}`).join('\n') || 'no live workers', { workers });
    },
  },
  {
    name: 'workers check',
    description: 'exit 0 when a worker on this host is alive, 1 otherwise (container healthcheck)',
    async run(_args, context) {
      const host = hostname();
      const mine = (await liveWorkers(context)).filter((worker) => worker.workerId.startsWith(`${host}:`));
      context.print(mine.length ? `alive: ${mine.map((w) => w.workerId).join(', ')}` : `no live worker on ${host}`, {
        host,
        alive: mine.length > 0,
      });
      if (mine.length === 0) process.exitCode = 1;
    },
  },
];
