import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source-options';
import type { CliCommand } from './cli-command';

/** Creates the database named in DATABASE_URL when it does not exist (connecting to `postgres`). */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

async function withDataSource<T>(databaseUrl: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await new DataSource(dataSourceOptions(databaseUrl)).initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export const databaseCommands: CliCommand[] = [
  {
    name: 'db create',
    description: 'create the database in DATABASE_URL if it is missing',
    async run(_args, context) {
      const created = await createDatabaseIfMissing(context.config.database.url);
      context.print(created ? 'database created' : 'database already exists', { created });
    },
  },
  {
    name: 'db migrate',
    description: 'apply pending migrations',
    async run(_args, context) {
      const applied = await withDataSource(context.config.database.url, (dataSource) => dataSource.runMigrations({ transaction: 'each' }));
      context.print(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'schema is up to date', {
        applied: applied.map((m) => m.name),
      });
    },
  },
  {
    name: 'db revert',
    description: 'revert the most recent migration',
    async run(_args, context) {
      await withDataSource(context.config.database.url, (dataSource) => dataSource.undoLastMigration({ transaction: 'each' }));
      context.print('reverted the last migration', { reverted: true });
    },
  },
];
