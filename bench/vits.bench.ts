/**
 * The built-in VITS engine on a network of production size, side by side in one run on the same weights:
 *   (a) VitsProvider (normalisation, eSpeak sessions, ONNX runs in the worker pool, chunks streamed);
 *   (b) a bare onnxruntime-node session in this process fed the same ids, chunk after chunk (the floor);
 *   (c) sherpa-onnx-node (its own eSpeak NG and onnxruntime, sentence by sentence), with INFERENCE_THREADS
 *       intra-op threads and with two (the pool's two threads are its counterpart on wall time).
 * For ~50, ~200 and ~1,000-character Swahili texts: p50/p95, real-time factor, time to first audio, and
 * the process's CPU time per synthesis (which a shared machine's load does not inflate as it does wall time),
 * per text and per second of speech (audio without the provider's pauses), with the provider's CPU split by
 * thread (event loop, eSpeak, inference, other: from /proc/self/task/<tid>/schedstat). Then the three
 * engines chunk by chunk on the ~1,000-character text's chunks (CPU per speech second, turns taken every chunk).
 * Then: the event loop's lag while 4 syntheses run, 8 concurrent syntheses through the pool, onnxruntime
 * intra-op threads × graph optimisation levels on a bare session, and pool size × threads for the provider.
 *
 * Voice: the benchmark voice (bench/bench-voice.ts: a Piper medium network with random weights, built on
 * first use), or BENCH_VOICE=<id> for a voice declared in config/voices.yaml (sherpa-onnx is then skipped).
 */
import { stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../src/config/app-config';
import { MAX_DEFAULT_POOL_SIZE, resolvePoolSize } from '../src/providers/vits/inference.pool';
import { vitsSessionOptions } from '../src/providers/vits/session-options';
import { loadVoiceModel, VoiceModel } from '../src/providers/vits/voice-models';
import { VitsProvider } from '../src/providers/vits/vits.provider';
import { prepareText } from '../src/providers/vits/vits.synthesizer';
import { normalizeSwahiliText } from '../src/text/swahili-text.normalizer';
import { chunkText } from '../src/text/text-chunker';
import { BenchVoice, ensureBenchVoice } from './bench-voice';
import { percentile, round, Suite } from './suite';
import { bareEngine, Engine, providerEngine, sherpaEngine } from './vits-engines';
import { Figures, goals, measure, SHERPA_2_THREADS, sideBySide, Table, ThreadGroups, timedSpeak } from './vits-figures';
import { swahiliText } from './swahili-text';
import { threadCpuNs } from './vits-threads';

const SIZES = [
  { chars: 50, runs: 10 },
  { chars: 200, runs: 5 },
  { chars: 1000, runs: 3 },
];
const GRAPH_LEVELS: InferenceSession.SessionOptions['graphOptimizationLevel'][] = ['disabled', 'basic', 'extended', 'all'];
const POOL_SHAPES = [
  { poolSize: 1, threads: 1 },
  { poolSize: 2, threads: 1 },
  { poolSize: 1, threads: 2 },
  { poolSize: 2, threads: 2 },
];

/** Normalisation + eSpeak + ids for a whole text (the provider waits only for the first sentence's before its first ONNX run). */
async function phonemizeP50Ms(voice: VoiceModel, text: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    await prepareText(voice, text, new AbortController().signal);
    if (i > 0) times.push(performance.now() - started);
  }
  return round(percentile(times, 50), 1);
}

/** A config whose inference settings are overridden, with the bench voice declared beside the configured voices. */
function configWith(bench: BenchVoice | undefined, overrides: Record<string, string> = {}): AppConfig {
  const config = AppConfig.load({ ...process.env, ...overrides });
  if (bench) config.voices.voices.push(bench.entry);
  return config;
}

function pickVoice(): { bench?: BenchVoice; model: VoiceModel } {
  const wanted = process.env.BENCH_VOICE;
  const bench = wanted ? undefined : ensureBenchVoice();
  const config = configWith(bench);
  const id = wanted ?? bench!.entry.id;
  const entry = config.voices.voices.find((voice) => voice.id === id);
  if (!entry) throw new Error(`BENCH_VOICE ${id} is not declared in config/voices.yaml`);
  const loaded = loadVoiceModel(entry, config.paths.voicesDir);
  if (!loaded.available) throw new Error(`voice ${id} is unavailable: ${loaded.voice.reason}`);
  return { bench, model: loaded.model };
}

/**
 * Labels this process's threads by the step that started them: the event loop; eSpeak's session threads
 * (started by phonemizing alone); the provider's inference threads (started by its first syntheses);
 * anything else (V8's helpers, libuv's pool where sherpa-onnx-node runs) is `other`.
 */
class ThreadLabels {
  private readonly labels = new Map<number, string>();

  constructor() {
    this.labelNew('other');
  }

  labelNew(label: string): void {
    for (const tid of threadCpuNs().keys()) if (!this.labels.has(tid)) this.labels.set(tid, tid === process.pid ? 'event loop' : label);
  }

  readonly groups: ThreadGroups = (tid) => this.labels.get(tid);
}

/** The provider's CPU per synthesis by thread, beside the bare session's and sherpa-onnx's, per second of speech. */
function whereCpuGoes(chars: number, own: Map<string, Figures>) {
  const provider = own.get('provider');
  if (!provider?.cpuByThreads) return undefined;
  const perSpeech = (ms: number | undefined) => (ms === undefined ? undefined : round(ms / provider.speechSeconds, 1));
  const threads = provider.cpuByThreads;
  return {
    chars,
    'provider CPU ms': provider.cpuP50Ms,
    'event loop ms': threads['event loop'],
    'eSpeak threads ms': threads.eSpeak,
    'inference threads ms': threads.inference,
    'other ms': threads.other,
    'inference ms per speech s': perSpeech(threads.inference),
    'bare ms per speech s': own.get('bare')?.cpuMsPerSpeechSecond,
    'sherpa ms per speech s': own.get('sherpa')?.cpuMsPerSpeechSecond,
    'provider ms per speech s': provider.cpuMsPerSpeechSecond,
  };
}

/**
 * The provider, the bare session and sherpa-onnx-node one chunk at a time (the provider's chunks of the
 * ~1,000-character text, each spoken as a text of its own), taking turns chunk by chunk so a change in the
 * machine's load falls on all three within a second. One chunk has one ONNX run, so the provider's two
 * threads never run at once here: this is its cost per chunk (eSpeak, hand-offs, inference) against
 * onnxruntime-node's bare run and sherpa-onnx's (its native eSpeak included), in CPU per second of speech,
 * as totals per round and as the median of the per-chunk ratios to sherpa-onnx.
 */
async function chunkByChunk(engines: Engine[], sherpa: Engine, rounds: number) {
  const chunks = chunkText(normalizeSwahiliText(swahiliText(1000))).map((chunk) => chunk.text);
  const all = [...engines, sherpa];
  for (const text of chunks) for (const engine of all) await engine.speak(text);
  const ratios = new Map<Engine, number[]>(engines.map((engine) => [engine, []]));
  const perRound = new Map<Engine, number[]>(all.map((engine) => [engine, []]));
  for (let r = 0; r < rounds; r++) {
    const totals = new Map<Engine, { cpu: number; speech: number }>(all.map((engine) => [engine, { cpu: 0, speech: 0 }]));
    for (const text of chunks) {
      const perSpeech = new Map<Engine, number>();
      for (const engine of all) {
        const timed = await timedSpeak(engine, text);
        totals.get(engine)!.cpu += timed.cpuMs;
        totals.get(engine)!.speech += timed.speechSeconds;
        perSpeech.set(engine, timed.cpuMs / timed.speechSeconds);
      }
      for (const engine of engines) ratios.get(engine)!.push(perSpeech.get(engine)! / perSpeech.get(sherpa)!);
    }
    for (const engine of all) perRound.get(engine)!.push(totals.get(engine)!.cpu / totals.get(engine)!.speech);
  }
  return all.map((engine) => ({
    engine: engine.name,
    chunks: chunks.length,
    'CPU ms per speech s, rounds': perRound
      .get(engine)!
      .map((value) => round(value, 1))
      .join(' / '),
    'ratio to sherpa, rounds':
      engine === sherpa
        ? '—'
        : perRound
            .get(engine)!
            .map((value, r) => round(value / perRound.get(sherpa)![r], 3))
            .join(' / '),
    'ratio to sherpa, median of chunks': engine === sherpa ? '—' : round(percentile(ratios.get(engine)!, 50), 3),
  }));
}

async function eventLoopLagP99(engine: Engine): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await Promise.all(Array.from({ length: 4 }, () => engine.speak(swahiliText(200))));
  histogram.disable();
  return round(histogram.percentile(99) / 1e6, 1);
}

/** 8 syntheses of ~200 characters at once through the pool: wall time, throughput, audio seconds per second. */
async function concurrentThroughput(engine: Engine) {
  const started = performance.now();
  const timings = await Promise.all(Array.from({ length: 8 }, () => engine.speak(swahiliText(200))));
  const wallMs = performance.now() - started;
  const audio = timings.reduce((sum, t) => sum + t.audioSeconds, 0);
  return {
    wallMs: round(wallMs, 0),
    requestsPerSecond: round(8000 / wallMs, 2),
    audioSecondsPerSecond: round(audio / (wallMs / 1000), 1),
    p50Ms: round(
      percentile(
        timings.map((t) => t.totalMs),
        50,
      ),
      0,
    ),
  };
}

/** Intra-op threads × graph optimisation level on a bare session, ~200 characters. */
async function sessionSweep(voice: VoiceModel) {
  const rows: Record<string, unknown>[] = [];
  const text = swahiliText(200);
  for (const threads of [1, 2]) {
    for (const level of GRAPH_LEVELS) {
      const engine = await bareEngine(`bare ORT`, voice, { ...vitsSessionOptions(threads), graphOptimizationLevel: level });
      const figures = await measure(engine, text, 3);
      await engine.close();
      rows.push({
        'intra-op threads': threads,
        'graph optimisation': level,
        'p50 ms': figures.p50Ms,
        RTF: figures.rtf,
        'CPU ms': figures.cpuP50Ms,
        'CPU RTF': figures.cpuRtf,
      });
    }
  }
  return rows;
}

/**
 * Pool size × intra-op threads per worker for the provider, each shape side by side with a bare 1-thread
 * session: a ~1,000-character text, then 8 concurrent ~200-character ones.
 */
async function poolSweep(bench: BenchVoice | undefined, voice: VoiceModel) {
  const rows: Record<string, unknown>[] = [];
  const bare = await bareEngine('bare', voice, vitsSessionOptions(1));
  try {
    for (const shape of POOL_SHAPES) {
      const config = configWith(bench, { INFERENCE_POOL_SIZE: String(shape.poolSize), INFERENCE_THREADS: String(shape.threads) });
      const engine = providerEngine('provider', new VitsProvider(config), voice);
      try {
        await Promise.all(Array.from({ length: shape.poolSize * 2 }, () => engine.speak(swahiliText(50))));
        const long = await sideBySide([engine, bare], swahiliText(1000), 2);
        const concurrent = await concurrentThroughput(engine);
        const provider = long.get(engine)!;
        rows.push({
          'pool size': shape.poolSize,
          'threads per worker': shape.threads,
          '1,000 chars p50 ms': provider.p50Ms,
          RTF: provider.rtf,
          'first audio ms': provider.firstAudioP50Ms,
          'bare 1 thread p50 ms': long.get(bare)!.p50Ms,
          'provider/bare': round(provider.p50Ms / long.get(bare)!.p50Ms, 2),
          'provider/bare CPU': round(provider.cpuP50Ms / long.get(bare)!.cpuP50Ms, 2),
          'provider CPU ms per speech s': provider.cpuMsPerSpeechSecond,
          'bare CPU ms per speech s': long.get(bare)!.cpuMsPerSpeechSecond,
          '8 × 200 chars wall ms': concurrent.wallMs,
          'audio s per s': concurrent.audioSecondsPerSecond,
        });
      } finally {
        await engine.close();
      }
    }
  } finally {
    await bare.close();
  }
  return rows;
}

export const vitsSuite: Suite = {
  name: 'vits',
  description: 'VITS engine on a Piper-medium-size network: provider vs bare onnxruntime session vs sherpa-onnx-node',
  async run() {
    const loadAtStart = loadavg()[0];
    const { bench, model: voice } = pickVoice();
    const config = configWith(bench);
    const threads = config.inference.threadsPerWorker;
    const labels = new ThreadLabels();
    const engines: Engine[] = [
      providerEngine('provider', new VitsProvider(config), voice),
      await bareEngine('bare', voice, vitsSessionOptions(threads)),
    ];
    const sherpa = await sherpaEngine('sherpa', bench?.sherpaDir, threads);
    if (typeof sherpa !== 'string') engines.push(sherpa);
    // The pool runs two threads at once: sherpa-onnx with two intra-op threads is its counterpart on wall time.
    const sherpa2 = typeof sherpa === 'string' || threads === 2 ? undefined : await sherpaEngine(SHERPA_2_THREADS, bench?.sherpaDir, 2);
    if (sherpa2 && typeof sherpa2 !== 'string') engines.push(sherpa2);
    try {
      // libuv starts its whole thread pool on first use (sherpa-onnx-node's runs use it): before eSpeak's threads are told apart.
      await stat(process.cwd());
      labels.labelNew('other');
      // eSpeak's sessions (two for one voice) start on phonemizing alone; the inference threads on the first syntheses.
      await Promise.all(Array.from({ length: 4 }, () => prepareText(voice, swahiliText(1000), new AbortController().signal)));
      labels.labelNew('eSpeak');
      // Every pool thread compiles eSpeak and loads the model on its first task: keep that out of the figures.
      await Promise.all(Array.from({ length: 2 * MAX_DEFAULT_POOL_SIZE }, () => engines[0].speak(swahiliText(50))));
      labels.labelNew('inference');
      const table: Table = {};
      const rows: Record<string, unknown>[] = [];
      const cpuByThreads: Record<string, unknown>[] = [];
      for (const size of SIZES) {
        const text = swahiliText(size.chars);
        const figures = await sideBySide(engines, text, size.runs, labels.groups);
        table[size.chars] = typeof sherpa === 'string' ? { sherpa } : {};
        const phonemize = await phonemizeP50Ms(voice, text, size.runs);
        for (const engine of engines) {
          const { cpuByThreads: _threads, ...own } = figures.get(engine)!;
          table[size.chars][engine.name] = figures.get(engine)!;
          rows.push({
            chars: text.length,
            engine: engine.name,
            ...own,
            'chars per audio s': round(text.length / own.audioSeconds, 1),
            ...(engine === engines[0] ? { 'phonemize p50 ms': phonemize } : {}),
          });
        }
        const where = whereCpuGoes(text.length, new Map(engines.map((engine) => [engine.name, figures.get(engine)!])));
        if (where) cpuByThreads.push(where);
      }
      const chunked = typeof sherpa === 'string' ? sherpa : await chunkByChunk(engines.slice(0, 2), sherpa, 3);
      const lag = await eventLoopLagP99(engines[0]);
      const concurrent = await concurrentThroughput(engines[0]);
      for (const engine of engines) await engine.close();
      engines.length = 0;
      return {
        voice: voice.id,
        // The machine may be shared: its load says how far these figures are from an idle box's.
        cores: availableParallelism(),
        loadAverage1mAtStart: round(loadAtStart, 2),
        sampleRate: voice.sampleRate,
        poolSize: resolvePoolSize(config.inference.poolSize),
        threadsPerWorker: threads,
        sherpaOnnxNode:
          typeof sherpa === 'string'
            ? sherpa
            : `measured (numThreads = INFERENCE_THREADS as 'sherpa', ${typeof sherpa2 === 'string' ? sherpa2 : sherpa2 ? `2 as '${SHERPA_2_THREADS}'` : 'the same as the pool'}; one sentence per run)`,
        eventLoopLagP99MsDuring4Syntheses: lag,
        eightConcurrent200CharSyntheses: concurrent,
        rows,
        cpuByThreads,
        chunkByChunk: chunked,
        goals: goals(table, lag),
        sessionOptions: await sessionSweep(voice),
        poolShapes: await poolSweep(bench, voice),
        loadAverage1mAtEnd: round(loadavg()[0], 2),
      };
    } finally {
      for (const engine of engines) await engine.close();
    }
  },
};
