import type { DataSource } from 'typeorm';

export class SchemaNotMigratedError extends Error {
  constructor() {
    super('The database schema is not up to date. Run `npm run migrate` (or `npm run quickstart`) and start again.');
  }
}

/** Refuses to serve against a database whose migrations have not all been applied. */
export async function assertSchemaCurrent(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) throw new SchemaNotMigratedError();
}
