/**
 * `npm run bench -- proxy`: this service as a proxy, side by side with calling a fake OpenAI-compatible
 * upstream directly and with the Portkey AI gateway in front of the same fake, in one run with
 * interleaved rounds. The fake runs in a worker thread; Portkey and this service (api, authenticated
 * and billed) run as their own processes, as they would in production.
 *   1. time to first byte when the upstream streams 1 s of audio over 1.8 s, passed through and transcoded,
 *      beside a bare Node proxy (a pipe, nothing else: the least a proxy in its own process adds here);
 *   2. added latency, sequential, for pcm, wav and mp3 answered at once (pass-through), and for mp3
 *      transcoded from a PCM-only upstream;
 *   3. added latency under an open-loop load of 200 requests/s.
 * The sequential and first-byte transcoded cases also run on a second api process that encodes mp3 with
 * LAME in WebAssembly (LAME_LIBRARY=wasm: the fallback without libmp3lame, and the design before it),
 * beside the first, which uses the system's LAME. Not under load: that case saturates this machine for
 * many seconds after its slice and, in the two runs that had it, slowed the other cases' next slices
 * (the passed-through p99 went from 59–85 ms to 0.3–2.5 s, Portkey's to 1.1 s in one slice).
 * Portkey is installed by the bench into a temporary folder at a pinned version. Its 1.15.2 build fails every
 * audio request on Node 20 with `TypeError: immutable` (it sets headers on the upstream's Response,
 * whose Headers undici made immutable; Portkey-AI/gateway issues 1389 and 1550); a preload that wraps
 * globalThis.fetch so upstream responses get fresh Headers makes it work, and the output says so.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AudioPipeline } from '../src/audio/audio-pipeline';
import { floatToPcm16, wavHeader } from '../src/audio/wav';
import { LOAD_RATE, LOAD_SECONDS, LoadSide, openLoopLoad, pooledLoad } from '../test/fakes/open-loop-load';
import { UNLIMITED_RATE_LIMITS, writeConfigDir } from '../test/fakes/routing-fixture';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

const PORTKEY_VERSION = '1.15.2';
const TEXT = 'Habari za asubuhi.';
const RATE = 24000;
const ROOT = __filename.endsWith('.js') ? resolve(__dirname, '..', '..') : resolve(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_PROXY_ROUNDS ?? 15);
const PER_ROUND = Number(process.env.BENCH_PROXY_PER_ROUND ?? 40);
const TTFB_ROUNDS = Number(process.env.BENCH_PROXY_TTFB_ROUNDS ?? 16);
/** Each load case runs in this many slices, the cases taking turns, so a machine that slows down mid-run slows every case alike. */
const LOAD_SLICES = Number(process.env.BENCH_PROXY_LOAD_SLICES ?? 5);
/** Unmeasured seconds at the load's rate for each case before its slices. */
const LOAD_WARMUP_SECONDS = Number(process.env.BENCH_PROXY_LOAD_WARMUP_SECONDS ?? 2);

type Format = 'pcm' | 'wav' | 'mp3';

/** One way to reach the fake: a URL, headers, and the body for a format. */
interface Side {
  name: string;
  url: string;
  headers: Record<string, string>;
  body(format: Format, model: string): string;
}

/** The fake upstream: 1 s of 24 kHz audio in the format asked; model `tts-slow` streams it in ten pieces, 200 ms apart. */
const FAKE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const files = { pcm: Buffer.from(workerData.pcm), wav: Buffer.from(workerData.wav), mp3: Buffer.from(workerData.mp3) };
const server = http.createServer({ keepAliveTimeout: 60000 }, (request, response) => {
  const parts = [];
  request.on('data', (chunk) => parts.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(parts).toString() || '{}');
    const file = files[body.response_format] || files.mp3;
    const type = { pcm: 'audio/pcm', wav: 'audio/wav', mp3: 'audio/mpeg' }[body.response_format] || 'audio/mpeg';
    if (body.model !== 'tts-slow') {
      response.writeHead(200, { 'content-type': type, 'content-length': file.length });
      return response.end(file);
    }
    response.writeHead(200, { 'content-type': type });
    const size = Math.ceil(file.length / 10);
    let piece = 0;
    const next = () => {
      if (response.destroyed) return;
      response.write(file.subarray(piece * size, (piece + 1) * size));
      if (++piece < 10) setTimeout(next, 200); else response.end();
    };
    next();
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage('http://127.0.0.1:' + server.address().port));
parentPort.on('message', () => server.close(() => parentPort.postMessage('closed')));
`;

export async function startFake(files: Record<Format, Buffer>): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(FAKE, { eval: true, workerData: files });
  const url = await new Promise<string>((done, fail) => {
    worker.once('message', done);
    worker.once('error', fail);
  });
  return {
    url,
    async close() {
      worker.postMessage('close');
      await new Promise((done) => worker.once('message', done));
      await worker.terminate();
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  return port;
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}):\n${output()}`);
    const ok = await new Promise<boolean>((done) => {
      const request = http.get(url, (response) => {
        response.resume();
        done(true);
      });
      request.on('error', () => done(false));
    });
    if (ok) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${url} did not answer within 60 s:\n${output()}`);
}

/** Portkey at the pinned version in a temporary folder (installed from npm on first use, kept for the next run), with the fetch workaround. */
async function startPortkey(): Promise<{ url: string; stop(): void }> {
  const directory = join(tmpdir(), `sauti-bench-portkey-${PORTKEY_VERSION}`);
  const server = join(directory, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!existsSync(server)) {
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
      cwd: directory,
      stdio: 'ignore',
    });
  }
  const preload = join(directory, 'fresh-headers.mjs');
  writeFileSync(
    preload,
    [
      '// Portkey 1.15.2 sets headers on the upstream Response, whose Headers are immutable on Node 20: give it fresh ones.',
      'const original = globalThis.fetch;',
      'globalThis.fetch = async (...args) => {',
      '  const response = await original(...args);',
      '  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });',
      '};',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', preload, server, `--port=${port}`, '--headless'], {
    cwd: directory,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child, () => output);
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * The least any proxy in its own process can add: Node's http server piping each request to the fake
 * and its answer back as it arrives (no auth, no billing, no checks), kept alive like the others.
 */
const BARE_PROXY = `
const http = require('node:http');
const target = new URL(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer({ keepAliveTimeout: 65000 }, (request, response) => {
  const upstream = http.request({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers, agent }, (answer) => {
    response.writeHead(answer.statusCode, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', () => response.destroy());
  request.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'));
`;

async function startBareProxy(fakeUrl: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', BARE_PROXY, fakeUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the bare proxy exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * This service's api as its own process, with a fake-backed provider and a tenant whose key pays for the
 * run; `options.env` adds variables, `options.database` gives it a database of its own.
 */
export async function startService(
  fakeUrl: string,
  options: { database?: string; env?: Record<string, string> } = {},
): Promise<{ url: string; apiKey: string; stop(): void }> {
  const database = await prepareBenchEnvironment(options.database);
  const upstream = { base_url: fakeUrl, timeout_ms: 10_000, models: ['tts-1', 'tts-slow'], default_voice: 'alloy' };
  const configDir = writeConfigDir({
    'providers.yaml': {
      providers: [
        { id: 'vits', kind: 'vits' },
        { id: 'espeak', kind: 'espeak' },
        { id: 'fake', kind: 'openai-compatible', ...upstream, response_format: 'pcm', pcm_sample_rate: RATE },
        { id: 'fakepcm', kind: 'openai-compatible', ...upstream, response_format: 'pcm', pcm_sample_rate: RATE, native_formats: ['pcm'] },
      ],
      breaker: { failure_threshold: 1000, window_ms: 1000, cooldown_ms: 1000 },
    },
    'routes.yaml': { voices: [], models: [], implicit_sample_rate: RATE },
    'rate-limits.yaml': UNLIMITED_RATE_LIMITS,
  });
  const port = await freePort();
  const env = {
    ...process.env,
    ...database,
    CONFIG_DIR: configDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const created = execFileSync(
    process.execPath,
    [join(ROOT, 'dist', 'src', 'cli.js'), 'tenants', 'create', '--name', 'proxy-bench', '--credits', '1000000000', '--json'],
    {
      env,
    },
  );
  const apiKey = (JSON.parse(created.toString()) as { apiKey: string }).apiKey;
  // BENCH_PROXY_NODE_ARGS: extra node flags for the service (e.g. --cpu-prof to see where its time goes).
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/live`, child, () => output);
  return { url, apiKey, stop: () => child.kill('SIGTERM') };
}

function openAiBody(model: string, format: Format): string {
  return JSON.stringify({ model, input: TEXT, voice: 'alloy', response_format: format });
}

/** One request: when its first body byte and its last arrived, in ms from the start. */
function timeRequest(agent: http.Agent, side: Side, body: string): Promise<{ firstMs: number; totalMs: number; status: number }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    let firstMs = 0;
    const request = http.request(
      side.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...side.headers },
      },
      (response) => {
        response.on('data', () => (firstMs ||= performance.now() - started));
        response.on('end', () => done({ firstMs, totalMs: performance.now() - started, status: response.statusCode ?? 0 }));
        response.on('error', fail);
      },
    );
    request.on('error', fail);
    request.end(body);
  });
}

const median = (values: number[]) => percentile(values, 50);
const round3 = (value: number) => round(value, 3);

/** Interleaved rounds over the sides (warm-up first); per side every time to first byte and to the end. */
async function interleaved(sides: Array<{ side: Side; body: string }>, rounds: number, perRound: number, warmup: number) {
  const agents = sides.map(() => new http.Agent({ keepAlive: true, maxSockets: 8 }));
  const times = sides.map(() => ({ first: [] as number[], total: [] as number[], roundMedians: [] as number[], errors: 0 }));
  const once = async (index: number, record: boolean) => {
    const { side, body } = sides[index];
    const result = await timeRequest(agents[index], side, body).catch(() => undefined);
    if (!result || result.status !== 200) return void times[index].errors++;
    if (!record) return;
    times[index].first.push(result.firstMs);
    times[index].total.push(result.totalMs);
  };
  for (let i = 0; i < warmup; i++) for (let index = 0; index < sides.length; index++) await once(index, false);
  for (let r = 0; r < rounds; r++) {
    for (let index = 0; index < sides.length; index++) {
      const before = times[index].total.length;
      for (let i = 0; i < perRound; i++) await once(index, true);
      times[index].roundMedians.push(median(times[index].total.slice(before)));
    }
  }
  for (const agent of agents) agent.destroy();
  return times;
}

function goal(met: boolean, text: string): string {
  return `${met ? 'met' : 'MISSED'}: ${text}`;
}

export const proxySuite: Suite = {
  name: 'proxy',
  description: 'this service vs the Portkey gateway vs the upstream directly: time to first byte and added latency',
  async run() {
    const pipeline = new AudioPipeline();
    const samples = new Float32Array(RATE).map((_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / RATE));
    const pcm = floatToPcm16(samples);
    const files: Record<Format, Buffer> = {
      pcm,
      wav: Buffer.concat([wavHeader(RATE, pcm.length), pcm]),
      mp3: (await pipeline.encode(samples, RATE, { format: 'mp3', sampleRate: RATE })).bytes,
    };
    pipeline.close();
    const fake = await startFake(files);
    const portkey = await startPortkey();
    const service = await startService(fake.url);
    let bare: Awaited<ReturnType<typeof startBareProxy>> | undefined;
    let wasmService: Awaited<ReturnType<typeof startService>> | undefined;
    try {
      wasmService = await startService(fake.url, { database: 'sauti_bench_wasm', env: { LAME_LIBRARY: 'wasm' } });
      bare = await startBareProxy(fake.url);
      const direct: Side = {
        name: 'direct',
        url: `${fake.url}/v1/audio/speech`,
        headers: {},
        body: (format, model) => openAiBody(model, format),
      };
      const viaPortkey: Side = {
        name: 'portkey',
        url: `${portkey.url}/v1/audio/speech`,
        headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fake.url}/v1`, authorization: 'Bearer bench' },
        body: (format, model) => openAiBody(model, format),
      };
      const viaBare: Side = { name: 'bare Node proxy', url: `${bare.url}/v1/audio/speech`, headers: {}, body: direct.body };
      const ours = (provider: string, api = service): Side => ({
        name: provider === 'fake' ? 'this service' : 'this service (transcoding)',
        url: `${api.url}/v1/audio/speech`,
        headers: { authorization: `Bearer ${api.apiKey}` },
        body: (format, model) => openAiBody(`${provider}/${model}`, format),
      });
      const oursWasm = ours('fakepcm', wasmService);

      // 1. Time to first byte, the upstream streaming 1 s of audio over 1.8 s. Every process is warmed
      // first with 100 quick requests of each case (as a server in service is), so the first streamed
      // requests do not time V8 compiling the path or LAME's first encoder.
      const ttfbCases: Array<[Side, Format]> = [
        [direct, 'pcm'],
        [viaPortkey, 'pcm'],
        [ours('fake'), 'pcm'],
        [ours('fake'), 'wav'],
        [ours('fake'), 'mp3'],
        [ours('fakepcm'), 'mp3'],
        [viaBare, 'pcm'],
        [oursWasm, 'mp3'],
      ];
      await interleaved(
        ttfbCases.map(([side, format]) => ({ side, body: side.body(format, 'tts-1') })),
        0,
        0,
        100,
      );
      const ttfb = await interleaved(
        ttfbCases.map(([side, format]) => ({ side, body: side.body(format, 'tts-slow') })),
        TTFB_ROUNDS,
        1,
        2,
      );
      const upstreamFirst = median(ttfb[0].first);
      const ttfbRows = [
        'direct (pcm)',
        'Portkey (pcm)',
        'this service, pcm passed through',
        'this service, wav passed through',
        'this service, mp3 passed through',
        'this service, mp3 transcoded from pcm',
        'bare Node proxy, pcm (the floor of a proxy in its own process)',
        'this service, mp3 transcoded from pcm, LAME in WebAssembly (for reference)',
      ].map((name, index) => ({
        case: name,
        firstByteP50Ms: round3(median(ttfb[index].first)),
        lastByteP50Ms: round3(median(ttfb[index].total)),
        addedFirstByteP50Ms: round3(median(ttfb[index].first) - upstreamFirst),
        errors: ttfb[index].errors,
      }));

      // 2. Added latency, sequential: answers at once, 1 s of audio.
      const latencyRows: Record<string, unknown>[] = [];
      const goals: string[] = [];
      for (const format of ['pcm', 'wav', 'mp3'] as const) {
        const [d, p, o] = await interleaved(
          [
            { side: direct, body: direct.body(format, 'tts-1') },
            { side: viaPortkey, body: viaPortkey.body(format, 'tts-1') },
            { side: ours('fake'), body: ours('fake').body(format, 'tts-1') },
          ],
          ROUNDS,
          PER_ROUND,
          100,
        );
        const base = median(d.roundMedians);
        const portkeyAdded = median(p.roundMedians) - base;
        const oursAdded = median(o.roundMedians) - base;
        latencyRows.push({
          format: `${format} (pass-through)`,
          directP50Ms: round3(base),
          portkeyAddedP50Ms: round3(portkeyAdded),
          oursAddedP50Ms: round3(oursAdded),
          portkeyAddedP99Ms: round3(percentile(p.total, 99) - percentile(d.total, 99)),
          oursAddedP99Ms: round3(percentile(o.total, 99) - percentile(d.total, 99)),
          errors: d.errors + p.errors + o.errors,
        });
        goals.push(goal(oursAdded <= portkeyAdded, `${format} added p50 ${round3(oursAdded)} ms ≤ Portkey's ${round3(portkeyAdded)} ms`));
        goals.push(goal(oursAdded <= 1, `(aim) ${format} added p50 ${round3(oursAdded)} ms ≤ 1 ms`));
      }
      const [td, tt, tw] = await interleaved(
        [
          { side: direct, body: direct.body('pcm', 'tts-1') },
          { side: ours('fakepcm'), body: ours('fakepcm').body('mp3', 'tts-1') },
          { side: oursWasm, body: oursWasm.body('mp3', 'tts-1') },
        ],
        ROUNDS,
        PER_ROUND,
        100,
      );
      const addedTo = (times: typeof tt) => median(times.roundMedians) - median(td.roundMedians);
      const transcodedAdded = addedTo(tt);
      for (const [format, times] of [
        ['mp3 transcoded from a pcm upstream', tt],
        ['mp3 transcoded, LAME in WebAssembly (for reference)', tw],
      ] as const) {
        latencyRows.push({
          format,
          directP50Ms: round3(median(td.roundMedians)),
          portkeyAddedP50Ms: 'n/a (Portkey does not transcode)',
          oursAddedP50Ms: round3(addedTo(times)),
          oursAddedP99Ms: round3(percentile(times.total, 99) - percentile(td.total, 99)),
          errors: td.errors + times.errors,
        });
      }
      goals.push(goal(transcodedAdded <= 5, `transcoded (pcm → mp3, 1 s) added p50 ${round3(transcodedAdded)} ms ≤ 5 ms`));
      for (const row of ttfbRows.slice(2, 6)) {
        goals.push(
          goal(
            (row.addedFirstByteP50Ms as number) <= 5,
            `${row.case}: first byte p50 ${row.addedFirstByteP50Ms} ms after the upstream's own ≤ 5 ms`,
          ),
        );
      }

      // 3. Open-loop load, 200 requests/s.
      const loadRows: Record<string, unknown>[] = [];
      const loads: Array<[string, Side, Format, string]> = [
        ['direct, pcm', direct, 'pcm', 'tts-1'],
        ['Portkey, pcm', viaPortkey, 'pcm', 'tts-1'],
        ['this service, pcm (pass-through)', ours('fake'), 'pcm', 'tts-1'],
        ['this service, mp3 (transcoded)', ours('fakepcm'), 'mp3', 'tts-1'],
      ];
      const slices: Array<Array<Parameters<typeof pooledLoad>[0][number]>> = loads.map(() => []);
      // Each case first takes the rate for LOAD_WARMUP_SECONDS, unmeasured, as the sequential rounds are
      // warmed: a process that has only served one request at a time still has to open its further
      // PostgreSQL connections (each also prepares its statements) and compile the busier paths, and
      // that start-up queue would otherwise be most of a case's p99 (probed on a process that had served
      // nothing: its first 6-s slice at this rate had a p99 of 4.5 s, the next ones 81–208 ms).
      for (const [, side, format, model] of loads)
        await openLoopLoad(side.url, side.headers, side.body(format, model), LOAD_WARMUP_SECONDS);
      for (let slice = 0; slice < LOAD_SLICES; slice++) {
        for (const [index, [, side, format, model]] of loads.entries()) {
          slices[index].push(await openLoopLoad(side.url, side.headers, side.body(format, model), LOAD_SECONDS / LOAD_SLICES));
        }
      }
      const loadResults: LoadSide[] = [];
      for (const [index, [name]] of loads.entries()) {
        const result = pooledLoad(slices[index]);
        loadResults.push(result);
        loadRows.push({
          case: name,
          requests: result.requests,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          sliceP99Ms: slices[index].map((slice) => Math.round(slice.p99Ms)).join(' / '),
          errors: result.errors,
          non2xx: result.non2xx,
        });
      }
      const loadAddedP99 = loadResults[2].p99Ms - loadResults[0].p99Ms;
      goals.push(goal(loadAddedP99 <= 10, `added p99 at ${LOAD_RATE} requests/s ${round3(loadAddedP99)} ms ≤ 10 ms (pcm pass-through)`));

      return {
        note: `Portkey ${PORTKEY_VERSION} runs with a preload that gives upstream responses fresh Headers (its build fails audio requests on Node 20 with "TypeError: immutable", Portkey-AI/gateway issues 1389 and 1550).`,
        method: `sequential: ${ROUNDS} interleaved rounds of ${PER_ROUND} requests per side after 100 warm-up requests (median of round medians); first byte: ${TTFB_ROUNDS} rounds after 100 quick warm-up requests per case; load: ${LOAD_RATE} requests/s for ${LOAD_SECONDS} s per case, in ${LOAD_SLICES} slices, the cases taking turns, after ${LOAD_WARMUP_SECONDS} s of each unmeasured`,
        firstByte: ttfbRows,
        goals,
        rows: [...latencyRows, ...loadRows],
      };
    } finally {
      service.stop();
      wasmService?.stop();
      bare?.stop();
      portkey.stop();
      await fake.close();
    }
  },
};
