/**
 * The built-in VITS voice: real-time factor (synthesis time / audio duration) and latency p50/p95
 * for ~50, ~200 and ~1,000-character Swahili texts through
 *   (a) VitsProvider (normalisation, eSpeak in a worker thread, ONNX runs in worker threads), and
 *   (b) a bare onnxruntime-node session on the same model in this process, fed the same ids
 *       (phonemized beforehand, outside the timing): the floor the provider's overhead is measured against;
 *   (c) sherpa-onnx-node on the same model, only when a real Piper voice is installed and the package is present;
 *   (d) the event loop's lag p99 while 4 syntheses run.
 * Voice: BENCH_VOICE, else sauti-swahili-v1 when installed, else the generated sauti-test-v1 (whose
 * "model" is a handful of ops, so its figures measure the pipeline rather than a real network).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InferenceSession } from 'onnxruntime-node';
import { AppConfig } from '../src/config/app-config';
import { DEFAULT_VOICE_SETTINGS } from '../src/common/voice-settings';
import { InferencePool, MAX_DEFAULT_POOL_SIZE } from '../src/providers/vits/inference.pool';
import { feeds } from '../src/providers/vits/inference.worker';
import { vitsSessionOptions } from '../src/providers/vits/session-options';
import { loadVoiceModel, VoiceModel } from '../src/providers/vits/voice-models';
import { toVitsScales } from '../src/providers/vits/vits-scales';
import { VitsProvider } from '../src/providers/vits/vits.provider';
import { prepareText } from '../src/providers/vits/vits.synthesizer';
import { percentile, round, Suite } from './suite';

const PARAGRAPH = [
  'Habari za asubuhi. Leo ni siku nzuri sana katika mji wa Dar es Salaam.',
  'Watoto wanakwenda shuleni na wazazi wao wanaelekea kazini.',
  'Soko la Kariakoo limejaa watu wanaonunua matunda, mboga na samaki.',
  'Mvua ilinyesha usiku kucha, lakini sasa jua linawaka na anga ni safi.',
  'Mwalimu Amina anawafundisha wanafunzi wake historia ya Afrika Mashariki.',
  'Wanajifunza kuhusu biashara ya pwani, lugha ya Kiswahili na miji ya kale kama Kilwa na Lamu.',
  'Baadaye, wanafunzi wataandika insha fupi kuhusu familia zao.',
  'Bei ya mchele imepanda hadi shilingi elfu tatu kwa kilo moja.',
  'Wakulima wanatumaini kwamba mavuno ya mwaka huu yatakuwa mazuri.',
  'Serikali imeahidi kujenga barabara mpya itakayounganisha vijiji vingi na mji mkuu.',
  'Wananchi wengi wamefurahi kusikia habari hiyo.',
  'Jioni, familia hukusanyika pamoja kula chakula cha usiku na kuzungumza kuhusu mambo ya siku.',
  'Bibi husimulia hadithi za zamani, na watoto husikiliza kwa makini.',
  'Kesho asubuhi, safari mpya itaanza tena. Tunawatakia nyote siku njema na amani tele.',
].join(' ');

/** About `length` characters of the paragraph, cut at a word and ended as a sentence. */
export function swahiliText(length: number): string {
  if (PARAGRAPH.length <= length) return PARAGRAPH;
  const cut = PARAGRAPH.slice(0, length);
  return `${cut.slice(0, cut.lastIndexOf(' ')).replace(/[,.]$/, '')}.`;
}

const SIZES = [
  { chars: 50, runs: 20 },
  { chars: 200, runs: 10 },
  { chars: 1000, runs: 5 },
];

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function summary(latencies: number[], audioSeconds: number) {
  const p50 = percentile(latencies, 50);
  return { p50Ms: round(p50, 1), p95Ms: round(percentile(latencies, 95), 1), rtf: round(p50 / 1000 / audioSeconds, 4) };
}

function pickVoice(config: AppConfig): VoiceModel {
  const wanted = process.env.BENCH_VOICE ? [process.env.BENCH_VOICE] : ['sauti-swahili-v1', 'sauti-test-v1'];
  for (const id of wanted) {
    const entry = config.voices.voices.find((voice) => voice.id === id);
    const loaded = entry && loadVoiceModel(entry, config.paths.voicesDir);
    if (loaded?.available) return loaded.model;
  }
  throw new Error(`none of ${wanted.join(', ')} is available (see npm run cli -- voices list)`);
}

/** The provider's whole answer (it streams chunk by chunk): every sample and the rate. */
async function speakWhole(provider: VitsProvider, voice: VoiceModel, text: string): Promise<{ samples: number; sampleRate: number }> {
  const audio = await provider.synthesize(
    { text, voice: voice.id, settings: DEFAULT_VOICE_SETTINGS, output: { format: 'pcm', sampleRate: voice.sampleRate } },
    { signal: new AbortController().signal, timeoutMs: 600_000, requestId: 'bench' },
  );
  let bytes = 0;
  for await (const chunk of audio.chunks) bytes += chunk.length;
  return { samples: bytes / 2, sampleRate: audio.descriptor.sampleRate };
}

async function measureProvider(provider: VitsProvider, voice: VoiceModel, text: string, runs: number) {
  const call = () => speakWhole(provider, voice, text);
  const warm = await call();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) latencies.push((await timed(call)).ms);
  return summary(latencies, warm.samples / warm.sampleRate);
}

async function measureBare(session: InferenceSession, voice: VoiceModel, pool: InferencePool, text: string, runs: number) {
  const chunks = await prepareText(voice, text, new AbortController().signal);
  const scales = toVitsScales(DEFAULT_VOICE_SETTINGS, voice.format === 'piper' ? voice.lengthScale : 1);
  const runAll = async () => {
    let samples = 0;
    for (const chunk of chunks) {
      const outputs = await session.run(
        feeds(session.inputNames, { modelPath: voice.modelPath, ids: chunk.ids, ...scales, speakerId: voice.speakerId }),
      );
      samples += (outputs[session.outputNames[0]].data as Float32Array).length;
    }
    return samples;
  };
  const samples = await runAll();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) latencies.push((await timed(runAll)).ms);
  return summary(latencies, samples / voice.sampleRate);
}

async function eventLoopLagP99(provider: VitsProvider, voice: VoiceModel): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const text = swahiliText(200);
  await Promise.all(Array.from({ length: 4 }, () => speakWhole(provider, voice, text)));
  histogram.disable();
  return round(histogram.percentile(99) / 1e6, 1);
}

/** 8 syntheses of ~200 characters at once: wall time and throughput (phonemizations share eSpeak runs under load). */
async function concurrentThroughput(provider: VitsProvider, voice: VoiceModel) {
  const text = swahiliText(200);
  const call = () => timed(() => speakWhole(provider, voice, text));
  const { ms, value } = await timed(() => Promise.all(Array.from({ length: 8 }, call)));
  const latencies = value.map((result) => result.ms);
  return {
    wallMs: round(ms, 1),
    requestsPerSecond: round(8000 / ms, 1),
    p50Ms: round(percentile(latencies, 50), 1),
    maxMs: round(Math.max(...latencies), 1),
  };
}

function sherpaStatus(voice: VoiceModel): string {
  try {
    require.resolve('sherpa-onnx-node');
  } catch {
    return 'skipped: not installed';
  }
  if (voice.testVoice || voice.format !== 'piper')
    return 'skipped: needs a real Piper voice (npm run cli -- voices install sauti-swahili-v1)';
  return 'skipped: sherpa-onnx-node is installed but this suite does not drive it yet';
}

export const vitsSuite: Suite = {
  name: 'vits',
  description: 'built-in VITS voice: provider vs bare onnxruntime session',
  async run() {
    const config = AppConfig.load();
    const voice = pickVoice(config);
    const provider = new VitsProvider(config);
    const pool = new InferencePool({ poolSize: 1, threadsPerWorker: 1 });
    const session = await InferenceSession.create(voice.modelPath, vitsSessionOptions(config.inference.threadsPerWorker));
    const sherpa = sherpaStatus(voice);
    try {
      // Every pool thread compiles eSpeak and loads the model on its first task: keep that out of the figures.
      const warmUp = () => speakWhole(provider, voice, swahiliText(200));
      await Promise.all(Array.from({ length: 2 * MAX_DEFAULT_POOL_SIZE }, warmUp));
      const rows: Record<string, unknown>[] = [];
      for (const size of SIZES) {
        const text = swahiliText(size.chars);
        const viaProvider = await measureProvider(provider, voice, text, size.runs);
        const bare = await measureBare(session, voice, pool, text, size.runs);
        rows.push({
          chars: text.length,
          runs: size.runs,
          'provider p50 ms': viaProvider.p50Ms,
          'provider p95 ms': viaProvider.p95Ms,
          'provider RTF': viaProvider.rtf,
          'bare ORT p50 ms': bare.p50Ms,
          'bare ORT p95 ms': bare.p95Ms,
          'bare ORT RTF': bare.rtf,
          'provider/bare': round(viaProvider.p50Ms / bare.p50Ms, 2),
          'sherpa-onnx-node': sherpa,
        });
      }
      const lag = await eventLoopLagP99(provider, voice);
      const concurrent = await concurrentThroughput(provider, voice);
      return {
        voice: voice.id,
        eightConcurrent200CharSyntheses: concurrent,
        testVoice: voice.testVoice,
        sampleRate: voice.sampleRate,
        poolSize: config.inference.poolSize || 'auto',
        threadsPerWorker: config.inference.threadsPerWorker,
        eventLoopLagP99MsDuring4Syntheses: lag,
        rows,
      };
    } finally {
      await session.release();
      await pool.close();
      await provider.close();
    }
  },
};
