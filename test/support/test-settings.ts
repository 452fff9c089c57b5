/**
 * Where the tests live: a database and Redis key prefix of their own per jest run (set by global
 * setup in SAUTI_TEST_RUN), so parallel runs and the developer's data never meet.
 */
export function testRunId(): string {
  const id = process.env.SAUTI_TEST_RUN;
  if (!id) throw new Error('SAUTI_TEST_RUN is not set: run the tests through jest (test/support/global-setup.ts)');
  return id;
}

export function testDatabaseName(): string {
  return `sauti_test_${testRunId()}`;
}

export function testSettings(): Record<string, string> {
  const id = testRunId();
  return {
    NODE_ENV: 'test',
    DATABASE_URL: `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/${testDatabaseName()}`,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
    QUEUE_PREFIX: `sauti-test-${id}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    API_KEY_CACHE_TTL_MS: '0',
    AUDIO_URL_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
    // Suites send the same texts again and count upstream calls; the cache's own suite turns it on (test/e2e/audio-cache*.e2e.spec.ts).
    AUDIO_CACHE_ENABLED: 'false',
  };
}

export function adminDatabaseUrl(): string {
  return `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/postgres`;
}
