import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { deleteRedisKeys } from './redis-cleanup';
import { adminDatabaseUrl, testDatabaseName, testSettings } from './test-settings';

/** A fresh database for this run with every migration applied once. */
export default async function globalSetup(): Promise<void> {
  process.env.SAUTI_TEST_RUN = `${Date.now().toString(36)}_${process.pid}`;
  const settings = testSettings();
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${testDatabaseName()}`);
  await admin.end();
  const dataSource = await new DataSource(dataSourceOptions(settings.DATABASE_URL)).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  await deleteRedisKeys(settings.REDIS_URL, settings.QUEUE_PREFIX);
}
