import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startTestApi } from '../support/test-api';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { adminDatabaseUrl, testDatabaseName } from '../support/test-settings';

const emptyDatabase = `${testDatabaseName()}_empty`;
const emptyUrl = process.env.DATABASE_URL!.replace(/\/[^/]+$/, `/${emptyDatabase}`);

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  await client.query(sql);
  await client.end();
}

async function tables(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1`,
  );
  return rows.map((row: { tablename: string }) => row.tablename);
}

describe('migrations', () => {
  beforeAll(() => admin(`CREATE DATABASE ${emptyDatabase}`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS ${emptyDatabase} WITH (FORCE)`));

  it('the api refuses to start on an un-migrated database and says what to run', async () => {
    await expect(startTestApi({ DATABASE_URL: emptyUrl })).rejects.toThrow(/npm run migrate/);
  });

  it('apply to an empty database and revert cleanly', async () => {
    const dataSource = await new DataSource(dataSourceOptions(emptyUrl)).initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.length).toBeGreaterThan(0);
      expect(await tables(dataSource)).toEqual(expect.arrayContaining(['api_keys', 'credit_ledger', 'tenants']));
      expect(await dataSource.showMigrations()).toBe(false);
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await tables(dataSource)).toEqual([]);
      await dataSource.runMigrations({ transaction: 'each' });
      expect(await dataSource.showMigrations()).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });
});
