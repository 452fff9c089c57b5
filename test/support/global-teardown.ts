import { Client } from 'pg';
import { deleteRedisKeys } from './redis-cleanup';
import { adminDatabaseUrl, testDatabaseName, testSettings } from './test-settings';

/** Removes this run's database and Redis keys (KEEP_TEST_DATABASE=1 keeps the database for a look). */
export default async function globalTeardown(): Promise<void> {
  const settings = testSettings();
  await deleteRedisKeys(settings.REDIS_URL, settings.QUEUE_PREFIX);
  if (process.env.KEEP_TEST_DATABASE) return;
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${testDatabaseName()} WITH (FORCE)`);
  await admin.end();
}
