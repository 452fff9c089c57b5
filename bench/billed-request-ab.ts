/**
 * A/B of the full authenticated, billed request between two builds of the api in one process: this
 * checkout's and a baseline's (BASELINE_DIST, the `dist` of another commit built elsewhere, e.g.
 * `git archive <commit> | tar -x -C /tmp/base && cd /tmp/base && npm ci && npm run build`). Both
 * apps run on the same database, Redis and fake upstream; rounds alternate between them, so machine
 * noise falls on both alike; CPU time per request is measured per round too (both apps share the
 * process, but only one serves at a time). LOG_LEVEL=info, so each request writes its access line (send stdout to
 * /dev/null); the figures go to stderr.
 *   npm run build && BASELINE_DIST=/tmp/base/dist node dist/bench/billed-request-ab.js > /dev/null
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { postJson } from './suite';
import { files, routingBenchDatabase } from './routing.bench';
import { writeConfigDir } from '../test/fakes/routing-fixture';
import { startUpstreamThread } from '../test/fakes/upstream-thread';

interface Build {
  name: string;
  dist: string;
}

interface Running {
  name: string;
  app: INestApplication;
  call: () => Promise<number>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Loads `createApiApp`, `AppConfig` and `TenantsService` from a build's own dist (its own node_modules). */
async function start(build: Build, env: Record<string, string>): Promise<Running> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createApiApp } = require(join(build.dist, 'src', 'api-app')) as typeof import('../src/api-app');
  const { AppConfig } = require(join(build.dist, 'src', 'config', 'app-config')) as typeof import('../src/config/app-config');
  const { TenantsService } = require(
    join(build.dist, 'src', 'tenants', 'tenants.service'),
  ) as typeof import('../src/tenants/tenants.service');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = await createApiApp(AppConfig.load({ ...process.env, ...env }));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const { apiKey } = await app.get(TenantsService).create(`ab ${build.name} ${Date.now()}`, 1_000_000_000);
  const body = JSON.stringify({ text: 'Habari za asubuhi.' });
  const headers = { 'xi-api-key': apiKey.plaintext };
  return { name: build.name, app, call: () => postJson(agent, `${base}/v1/text-to-speech/bench-voice`, body, headers) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const baseline = process.env.BASELINE_DIST;
  if (!baseline) throw new Error('BASELINE_DIST must name the dist directory of the build to compare with');
  const rounds = Number(process.env.AB_ROUNDS ?? 40);
  const perRound = Number(process.env.AB_PER_ROUND ?? 50);
  const fake = await startUpstreamThread(4800);
  const database = await routingBenchDatabase();
  const env = { ...database.env, CONFIG_DIR: writeConfigDir(files(fake)), LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
  const builds = [
    { name: 'baseline', dist: baseline },
    { name: 'this checkout', dist: join(__dirname, '..') },
  ];
  const running: Running[] = [];
  try {
    for (const build of builds) running.push(await start(build, env));
    const medians = new Map<string, number[]>(running.map((run) => [run.name, []]));
    const cpu = new Map<string, number[]>(running.map((run) => [run.name, []]));
    const errors = new Map<string, number>(running.map((run) => [run.name, 0]));
    for (const run of running) for (let i = 0; i < 300; i++) await run.call();
    for (let round = 0; round < rounds; round++) {
      for (const run of round % 2 ? [...running].reverse() : running) {
        const samples: number[] = [];
        const cpuBefore = process.cpuUsage();
        for (let i = 0; i < perRound; i++) {
          const started = process.hrtime.bigint();
          const status = await run.call();
          if (status === 200) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
          else errors.set(run.name, errors.get(run.name)! + 1);
        }
        const cpuUsed = process.cpuUsage(cpuBefore);
        cpu.get(run.name)!.push((cpuUsed.user + cpuUsed.system) / 1000 / perRound);
        medians.get(run.name)!.push(median(samples));
      }
    }
    const round3 = (value: number) => Math.round(value * 1000) / 1000;
    const result = Object.fromEntries(
      running.map((run) => [
        run.name,
        {
          p50Ms: round3(median(medians.get(run.name)!)),
          cpuMsPerRequest: round3(median(cpu.get(run.name)!)),
          errors: errors.get(run.name),
        },
      ]),
    );
    // Paired: each round's difference (this checkout − baseline), then their median; steadier than either p50 on a busy machine.
    const [base, mine] = running.map((run) => medians.get(run.name)!);
    const [baseCpu, mineCpu] = running.map((run) => cpu.get(run.name)!);
    const addedP50Ms = round3(median(mine.map((value, index) => value - base[index])));
    const addedCpuMs = round3(median(mineCpu.map((value, index) => value - baseCpu[index])));
    process.stderr.write(`${JSON.stringify({ rounds, perRound, result, pairedDifference: { addedP50Ms, addedCpuMs } })}\n`);
  } finally {
    for (const run of running) await run.app.close();
    agent.destroy();
    await database.drop();
    await fake.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
