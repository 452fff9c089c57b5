import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PG_BIN } from './servers';

/**
 * Whatever a test file left running (it failed before its own clean-up) is stopped, by the ids and
 * folders this run recorded, and the suite's folder is removed.
 */
export default async function globalTeardown(): Promise<void> {
  const root = process.env.SAUTI_FAULTS_ROOT;
  if (!root) return;
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.endsWith('.pid')) {
      try {
        process.kill(Number(readFileSync(path, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    } else if (name.endsWith('.datadir')) {
      const dataDir = readFileSync(path, 'utf8').trim();
      try {
        const runAs = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
        const command = [...runAs, join(PG_BIN, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', '-w', 'stop'];
        execFileSync(command[0], command.slice(1), { stdio: 'ignore' });
      } catch {
        // not running
      }
    }
  }
  if (!process.env.KEEP_FAULTS_FOLDER) rmSync(root, { recursive: true, force: true });
}
