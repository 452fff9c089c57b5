/** Where the tests live: their own database, Redis db index and key prefix, never the developer's. */
export const TEST_DATABASE = 'sauti_test';
export const TEST_SETTINGS: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/${TEST_DATABASE}`,
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
  QUEUE_PREFIX: 'sauti-test',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  API_KEY_CACHE_TTL_MS: '0',
  AUDIO_URL_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
};
