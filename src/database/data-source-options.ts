import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/** One definition for the app, the CLI and the tests. Schema changes only through migrations. */
export function dataSourceOptions(databaseUrl: string, overrides: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // pg's pool closes a connection idle for 10 s by default, so a request after a quiet spell paid for
    // a new connection (20–40 ms on the first-byte bench, docs/routing.md): two stay open whatever the
    // traffic, and the rest live for a minute of idleness.
    extra: { max: 20, min: 2, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 5000, application_name: 'sauti-tts-proxy' },
    ...overrides,
  } as DataSourceOptions;
}
