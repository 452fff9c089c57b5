import 'reflect-metadata';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPostgresTemplate, PG_BIN } from './servers';

/**
 * The fault suite's folder and its PostgreSQL template cluster (one initdb per run). The suite runs
 * the compiled api and worker, so `npm run build` must have run (npm run check and test:faults do).
 */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(PG_BIN, 'initdb')))
    throw new Error(`PostgreSQL 15's initdb was not found in ${PG_BIN} (apt-get install postgresql-15, or set FAULTS_PG_BIN)`);
  if (!existsSync(join(__dirname, '..', '..', '..', 'dist', 'src', 'worker.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm run test:faults does)');
  const root = mkdtempSync(join(tmpdir(), 'sauti-faults-'));
  chmodSync(root, 0o711); // PostgreSQL, run as its own user, must reach its folders inside
  process.env.SAUTI_FAULTS_ROOT = root;
  writeFileSync(join(root, 'postgres-template'), await initPostgresTemplate(root));
}
