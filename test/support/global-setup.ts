import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { deleteRedisKeys } from './redis-cleanup';
import { TEST_DATABASE, TEST_SETTINGS } from './test-settings';

/** A fresh test database with every migration applied once, and no keys left from an earlier run. */
export default async function globalSetup(): Promise<void> {
  const admin = new Client({ connectionString: TEST_SETTINGS.DATABASE_URL.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEST_DATABASE}`);
  await admin.end();
  const dataSource = await new DataSource(dataSourceOptions(TEST_SETTINGS.DATABASE_URL)).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  await deleteRedisKeys(TEST_SETTINGS.REDIS_URL, TEST_SETTINGS.QUEUE_PREFIX);
}
