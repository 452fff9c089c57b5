import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';

/**
 * A database and Redis prefix of the benchmarks' own (`sauti_bench`, `sauti-bench`, or a suite's own name
 * so suites run side by side never drop each other's database), created fresh
 * and migrated, so `npm run bench` never touches development data. Returns the environment to use
 * for in-process apps and child processes.
 */
export async function prepareBenchEnvironment(database = 'sauti_bench'): Promise<Record<string, string>> {
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const env = {
    DATABASE_URL: `${server}/${database}`,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/10',
    QUEUE_PREFIX: database.replace(/_/g, '-'),
    LOG_LEVEL: 'warn',
    API_KEY_CACHE_TTL_MS: '5000',
    // Benchmarks of synthesis repeat their texts: the audio cache would turn them into cache benchmarks (bench/cache.bench.ts has its own).
    AUDIO_CACHE_ENABLED: 'false',
  };
  const admin = new Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dataSource = await new DataSource(dataSourceOptions(env.DATABASE_URL)).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  Object.assign(process.env, env);
  return env;
}
