import { Worker } from 'node:worker_threads';

/**
 * An open-loop load generator for the benchmarks: request i leaves at t0 + i/rate and its latency
 * counts from that scheduled time, so a slow server cannot slow the arrivals down (no coordinated
 * omission). It runs in a worker thread so it never shares the measured event loop.
 */
export const LOAD_RATE = 200;
export const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);

export interface LoadSide {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  non2xxByStatus?: Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** The open-loop generator, as plain JavaScript for a worker thread (so it never shares the measured event loop). */
const LOAD_GENERATOR = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, headers, body, rate, seconds } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const total = rate * seconds;
const interval = 1000 / rate;
const latencies = [];
let errors = 0, non2xx = 0, done = 0;
const statuses = {};
const start = performance.now() + 50;
function fire(i) {
  const scheduled = start + i * interval;
  const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
    response.resume();
    response.on('end', () => {
      if (response.statusCode >= 300) { non2xx++; statuses[response.statusCode] = (statuses[response.statusCode] || 0) + 1; }
      latencies.push(performance.now() - scheduled);
      finish();
    });
  });
  request.on('error', () => { errors++; finish(); });
  request.end(body);
}
function finish() { if (++done === total) { agent.destroy(); parentPort.postMessage({ latencies, errors, non2xx, statuses }); } }
let next = 0;
(function tick() {
  const now = performance.now();
  while (next < total && start + next * interval <= now) fire(next++);
  if (next < total) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
})();
`;

/**
 * LOAD_RATE requests/s for `seconds` (default LOAD_SECONDS: env BENCH_LOAD_SECONDS, else 30) POSTed to
 * `url`, from a worker thread. `latencies` are every request's, for benches that pool several slices.
 */
export async function openLoopLoad(
  url: string,
  headers: Record<string, string>,
  body: string,
  seconds = LOAD_SECONDS,
): Promise<LoadSide & { latencies: number[] }> {
  const worker = new Worker(LOAD_GENERATOR, { eval: true, workerData: { url, headers, body, rate: LOAD_RATE, seconds } });
  const result = await new Promise<{ latencies: number[]; errors: number; non2xx: number; statuses: Record<string, number> }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  await worker.terminate();
  return {
    requests: result.latencies.length + result.errors,
    p50Ms: round3(median(result.latencies)),
    p99Ms: round3(percentile(result.latencies, 99)),
    errors: result.errors,
    non2xx: result.non2xx,
    ...(result.non2xx > 0 ? { non2xxByStatus: result.statuses } : {}),
    latencies: result.latencies,
  };
}

/** Several slices' results as one (their latencies pooled). */
export function pooledLoad(slices: Array<LoadSide & { latencies: number[] }>): LoadSide {
  const latencies = slices.flatMap((slice) => slice.latencies);
  const non2xx = slices.reduce((sum, slice) => sum + slice.non2xx, 0);
  const statuses: Record<string, number> = {};
  for (const slice of slices)
    for (const [status, count] of Object.entries(slice.non2xxByStatus ?? {})) statuses[status] = (statuses[status] ?? 0) + count;
  return {
    requests: slices.reduce((sum, slice) => sum + slice.requests, 0),
    p50Ms: round3(median(latencies)),
    p99Ms: round3(percentile(latencies, 99)),
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    non2xx,
    ...(non2xx > 0 ? { non2xxByStatus: statuses } : {}),
  };
}
