/**
 * The built-in VITS engine on a network of production size, side by side in one run on the same weights:
 *   (a) VitsProvider (normalisation, eSpeak sessions, ONNX runs in the worker pool, chunks streamed);
 *   (b) a bare onnxruntime-node session in this process fed the same ids, chunk after chunk (the floor);
 *   (c) sherpa-onnx-node (its own eSpeak NG and onnxruntime, sentence by sentence).
 * For ~50, ~200 and ~1,000-character Swahili texts: p50/p95, real-time factor, time to first audio, and
 * the process's CPU time per synthesis (which a shared machine's load does not inflate as it does wall time).
 * Then: the event loop's lag while 4 syntheses run, 8 concurrent syntheses through the pool, onnxruntime
 * intra-op threads × graph optimisation levels on a bare session, and pool size × threads for the provider.
 *
 * Voice: the benchmark voice (bench/bench-voice.ts: a Piper medium network with random weights, built on
 * first use), or BENCH_VOICE=<id> for a voice declared in config/voices.yaml (sherpa-onnx is then skipped).
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../src/config/app-config';
import { MAX_DEFAULT_POOL_SIZE, resolvePoolSize } from '../src/providers/vits/inference.pool';
import { vitsSessionOptions } from '../src/providers/vits/session-options';
import { loadVoiceModel, VoiceModel } from '../src/providers/vits/voice-models';
import { VitsProvider } from '../src/providers/vits/vits.provider';
import { prepareText } from '../src/providers/vits/vits.synthesizer';
import { BenchVoice, ensureBenchVoice } from './bench-voice';
import { percentile, round, Suite } from './suite';
import { bareEngine, Engine, providerEngine, sherpaEngine } from './vits-engines';
import { goals, measure, sideBySide, Table } from './vits-figures';
import { swahiliText } from './swahili-text';

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
    const engines: Engine[] = [
      providerEngine('provider', new VitsProvider(config), voice),
      await bareEngine('bare', voice, vitsSessionOptions(threads)),
    ];
    const sherpa = await sherpaEngine('sherpa', bench?.sherpaDir, threads);
    if (typeof sherpa !== 'string') engines.push(sherpa);
    try {
      // Every pool thread compiles eSpeak and loads the model on its first task: keep that out of the figures.
      await Promise.all(Array.from({ length: 2 * MAX_DEFAULT_POOL_SIZE }, () => engines[0].speak(swahiliText(50))));
      const table: Table = {};
      const rows: Record<string, unknown>[] = [];
      for (const size of SIZES) {
        const text = swahiliText(size.chars);
        const figures = await sideBySide(engines, text, size.runs);
        table[size.chars] = typeof sherpa === 'string' ? { sherpa } : {};
        const phonemize = await phonemizeP50Ms(voice, text, size.runs);
        for (const engine of engines) {
          const own = figures.get(engine)!;
          table[size.chars][engine.name] = own;
          rows.push({
            chars: text.length,
            engine: engine.name,
            ...own,
            'chars per audio s': round(text.length / own.audioSeconds, 1),
            ...(engine === engines[0] ? { 'phonemize p50 ms': phonemize } : {}),
          });
        }
      }
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
        sherpaOnnxNode: typeof sherpa === 'string' ? sherpa : 'measured (numThreads = INFERENCE_THREADS, one sentence per run)',
        eventLoopLagP99MsDuring4Syntheses: lag,
        eightConcurrent200CharSyntheses: concurrent,
        rows,
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
