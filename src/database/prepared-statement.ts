import { DatabaseError, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs `text` as the named prepared statement `name` on a connection of the data source's pool: each
 * connection parses and plans it once, then only binds and executes it. For the statements every
 * request makes (its reservation and settle, a cache hit): TypeORM's `query()` sends them unnamed,
 * so PostgreSQL parsed and planned the reservation anew each time, a third of its CPU for that
 * statement (0.53 → 0.34 ms measured, docs/architecture.md "Billing"). A name must always go with
 * the same text. Errors are pg's own (their `code` is PostgreSQL's SQLSTATE), not TypeORM's wrapper.
 */
export async function queryPrepared<Row>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
  onSent?: () => void,
): Promise<Row[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const client = await pool.connect();
  let broken: Error | undefined;
  // A connection lost while checked out emits 'error' on the client (the pool listens only to idle
  // ones); the query fails with it as well, so it is only noted here, and the connection dropped.
  const lost = (error: Error) => (broken = error);
  client.on('error', lost);
  try {
    const answer = client.query<Row & object>({ name, text, values });
    onSent?.(); // a pooled client is ours alone and idle: it has written the statement within query()
    return (await answer).rows;
  } catch (error) {
    // An error PostgreSQL answered (a refused reservation, say) leaves the connection fit for the next
    // statement; anything else (a lost connection) has the pool drop it. (pool.query() drops it always.)
    if (!(error instanceof DatabaseError)) broken = error as Error;
    throw error;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
