/**
 * `npm run bench` (= build + node dist/bench/run.js [suite …]): runs every registered suite, or the
 * named ones, prints a table per suite and writes bench/results/<suite>-<timestamp>.json.
 * Other areas register their suite by appending it to SUITES.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Suite } from './suite';
import { bifrostSuite } from './bifrost.bench';
import { cacheSuite } from './cache.bench';
import { dashboardSuite } from './dashboard.bench';
import { elevenLabsSuite } from './elevenlabs.bench';
import { jobsSuite } from './jobs.bench';
import { proxySuite } from './proxy.bench';
import { codecsSuite } from './codecs.bench';
import { routingSuite } from './routing.bench';
import { sautiSuite } from './sauti.bench';
import { vitsSuite } from './vits.bench';
import { webhooksSuite } from './webhooks.bench';
import { usageSuite } from './usage.bench';

export type { Suite } from './suite';

export const SUITES: Suite[] = [
  vitsSuite,
  routingSuite,
  proxySuite,
  codecsSuite,
  jobsSuite,
  bifrostSuite,
  sautiSuite,
  webhooksSuite,
  dashboardSuite,
  cacheSuite,
  usageSuite,
  elevenLabsSuite,
];

/** bench/results in the project, whether this runs from bench/ (ts) or dist/bench/ (js). */
function resultsDir(): string {
  const projectRoot = __filename.endsWith('.js') ? resolve(__dirname, '..', '..') : resolve(__dirname, '..');
  return join(projectRoot, 'bench', 'results');
}

function print(suite: Suite, result: Record<string, unknown>): void {
  process.stdout.write(`\n== ${suite.name}${suite.description ? `: ${suite.description}` : ''}\n`);
  const { rows, ...rest } = result;
  const isTable = (value: unknown) => Array.isArray(value) && value.length > 0 && value.every((row) => typeof row === 'object');
  for (const [key, value] of Object.entries(rest))
    if (!isTable(value)) process.stdout.write(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
  if (Array.isArray(rows)) console.table(rows);
  // Further tables: any other top-level array of rows, printed under its name.
  for (const [key, value] of Object.entries(rest))
    if (isTable(value)) {
      process.stdout.write(`${key}:\n`);
      console.table(value);
    }
}

export async function runSuites(names: string[]): Promise<void> {
  // Suites repeat their texts to measure synthesis: the audio cache would answer them instead. The `cache`
  // suite turns it on for its own apis; AUDIO_CACHE_ENABLED=true in the environment keeps it on for all.
  process.env.AUDIO_CACHE_ENABLED ??= 'false';
  const selected = names.length ? SUITES.filter((suite) => names.includes(suite.name)) : SUITES;
  const unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length) throw new Error(`unknown suite(s): ${unknown.join(', ')} (known: ${SUITES.map((s) => s.name).join(', ')})`);
  mkdirSync(resultsDir(), { recursive: true });
  for (const suite of selected) {
    const startedAt = new Date();
    const result = await suite.run();
    print(suite, result);
    const file = join(resultsDir(), `${suite.name}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ suite: suite.name, startedAt: startedAt.toISOString(), node: process.version, ...result }, null, 2)}\n`,
    );
    process.stdout.write(`written: ${file}\n`);
  }
}

if (require.main === module) {
  runSuites(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
