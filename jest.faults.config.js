/**
 * The fault-injection suite (`npm run test:faults`): real api and worker processes against a
 * PostgreSQL cluster and a redis-server of its own, which the tests stop, kill and restart.
 * See test/faults/README.md.
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/faults/**/*.fault.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/faults/support/faults-global-setup.ts',
  globalTeardown: '<rootDir>/test/faults/support/faults-global-teardown.ts',
  testTimeout: 180000,
  maxWorkers: 1,
};
