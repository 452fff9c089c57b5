import { Client } from 'pg';
import { deleteRedisKeys } from './redis-cleanup';
import { TEST_DATABASE, TEST_SETTINGS } from './test-settings';

export default async function globalTeardown(): Promise<void> {
  await deleteRedisKeys(TEST_SETTINGS.REDIS_URL, TEST_SETTINGS.QUEUE_PREFIX);
  if (process.env.KEEP_TEST_DATABASE) return;
  const admin = new Client({ connectionString: TEST_SETTINGS.DATABASE_URL.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
  await admin.end();
}
