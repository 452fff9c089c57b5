/**
 * `npm run bench -- codecs`: the choices behind the audio pipeline, measured side by side.
 * - Encoders, for 1 s of 24 kHz speech-like audio at 64 kbit/s: mp3 by the system's LAME through FFI
 *   (what the pipeline uses when libmp3lame opens), by LAME in WebAssembly in-process (its fallback), by
 *   the pure-JavaScript lamejs port, and by one ffmpeg spawned per request (the previous design); opus by ffmpeg spawned per request and by one started ahead (the pipeline's pool).
 * - Resamplers: our windowed sinc (src/audio/resample.ts) and libsamplerate in WebAssembly
 *   (`@alexanderolsen/libsamplerate-js`), on what the pipeline does: mono audio resampled while it
 *   streams, in 100 ms pieces. Speed: CPU time per second of audio. Quality: a 1 kHz tone keeps its
 *   level (22,050 → 16,000 Hz), and tones above the new Nyquist frequency (8.2 to 11 kHz) come out below −60 dB.
 * lamejs and libsamplerate-js are devDependencies of this bench only.
 */
import { ConverterType, create } from '@alexanderolsen/libsamplerate-js';
import { collectBytes, onePiece } from '../src/audio/audio-stream';
import { ffmpegEncodeArguments, locateFfmpeg, runFfmpeg } from '../src/audio/ffmpeg';
import { FfmpegPool, ffmpegTransform } from '../src/audio/ffmpeg-stream';
import { loadNativeLame } from '../src/audio/lame-native';
import { Mp3Encoder } from '../src/audio/mp3-encoder';
import { floatToPcm16 } from '../src/audio/wav';
import { StreamResampler } from '../src/audio/resample';
import { toneSamples } from '../test/fakes/scriptable-upstream';
import { toneLevelDb } from '../test/support/tone-analysis';
import { percentile, round, Suite } from './suite';

type Streaming = { push(samples: Float32Array): Float32Array; end(): Float32Array; close(): void };

const CANDIDATES: Array<{ name: string; make(from: number, to: number): Promise<Streaming> }> = [
  {
    name: 'ours (windowed sinc, 16 lobes, cut-off at 87% of Nyquist)',
    async make(from, to) {
      const resampler = new StreamResampler(from, to);
      return { push: (samples) => resampler.push(samples), end: () => resampler.end(), close: () => undefined };
    },
  },
  ...(['SRC_SINC_FASTEST', 'SRC_SINC_MEDIUM_QUALITY', 'SRC_SINC_BEST_QUALITY'] as const).map((type) => ({
    name: `libsamplerate-js ${type}`,
    async make(from: number, to: number): Promise<Streaming> {
      const src = await create(1, from, to, { converterType: ConverterType[type] });
      // full() copies out of WebAssembly memory; its tail comes with the last (empty) call.
      return { push: (samples) => src.full(samples).slice(), end: () => src.full(new Float32Array(0)).slice(), close: () => src.destroy() };
    },
  })),
];

const tone = (frequency: number, sampleRate: number, seconds: number, amplitude = 0.5) =>
  toneSamples(seconds, sampleRate, frequency, amplitude);

async function streamed(candidate: (typeof CANDIDATES)[number], input: Float32Array, from: number, to: number): Promise<Float32Array> {
  const resampler = await candidate.make(from, to);
  const piece = Math.round(from / 10);
  const parts: Float32Array[] = [];
  for (let at = 0; at < input.length; at += piece) parts.push(resampler.push(input.subarray(at, at + piece)));
  parts.push(resampler.end());
  resampler.close();
  const output = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  return output;
}

const levelDb = toneLevelDb;

/** Worst level of any tone between 8.2 and 11 kHz after 22,050 → 16,000 Hz, measured where it would alias to. */
async function worstAliasDb(candidate: (typeof CANDIDATES)[number]): Promise<number> {
  let worst = -Infinity;
  for (let frequency = 8200; frequency <= 11000; frequency += 200) {
    const output = await streamed(candidate, tone(frequency, 22050, 0.5, 1), 22050, 16000);
    worst = Math.max(worst, levelDb(output, 16000, 16000 - frequency));
  }
  return worst;
}

/** p50 and p90 of `runs` calls after 5 warm-up calls, in ms; `pauseMs` between calls (not timed), as between requests. */
async function timed(runs: number, call: () => Promise<unknown>, pauseMs = 0): Promise<{ p50Ms: number; p90Ms: number }> {
  for (let i = 0; i < 5; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return { p50Ms: round(percentile(times, 50), 2), p90Ms: round(percentile(times, 90), 2) };
}

async function encoders(): Promise<Record<string, unknown>[]> {
  const samples = tone(220, 24000, 1, 0.4);
  const pcm = floatToPcm16(samples);
  const ffmpeg = locateFfmpeg();
  if (!ffmpeg) throw new Error('ffmpeg is missing: it comes with npm ci');
  // An ES module only: loaded with a real import(), which TypeScript would otherwise turn into require().
  const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
  const lame = (await importModule('@breezystack/lamejs')) as {
    Mp3Encoder: new (channels: number, rate: number, kbps: number) => { encodeBuffer(pcm: Int16Array): Int8Array; flush(): Int8Array };
  };
  const int16 = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  const pool = new FfmpegPool(ffmpeg);
  const mp3Spawned = [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    's16le',
    '-ar',
    '24000',
    '-ac',
    '1',
    '-i',
    'pipe:0',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-f',
    'mp3',
    'pipe:1',
  ];
  const opus = ffmpegEncodeArguments('opus', 24000);
  const nativeLame = loadNativeLame();
  if (!nativeLame) throw new Error('libmp3lame does not open: apt-get install libmp3lame0');
  // 10 ms between runs for both LAME cases: time for the next encoder to be made ready, as between requests.
  const lameRun = (lameLibrary?: typeof nativeLame) => async () => {
    const encoder = await Mp3Encoder.create(24000, 64, lameLibrary);
    for (let at = 0; at < samples.length; at += 2400) encoder.encode(samples.subarray(at, at + 2400));
    encoder.finish();
  };
  try {
    return [
      {
        encoder: `mp3: the system's LAME ${nativeLame.version} through FFI, in-process (used)`,
        ...(await timed(50, lameRun(nativeLame), 10)),
      },
      {
        encoder: 'mp3: LAME in WebAssembly, in-process (used without libmp3lame)',
        ...(await timed(50, lameRun(), 10)),
      },
      {
        encoder: 'mp3: lamejs (pure JavaScript)',
        ...(await timed(50, async () => {
          const encoder = new lame.Mp3Encoder(1, 24000, 64);
          for (let at = 0; at < int16.length; at += 2400) encoder.encodeBuffer(int16.subarray(at, at + 2400));
          encoder.flush();
        })),
      },
      {
        encoder: 'mp3: ffmpeg spawned per request (before)',
        ...(await timed(50, () => runFfmpeg(ffmpeg, mp3Spawned, pcm, { timeoutMs: 10_000 }))),
      },
      {
        encoder: 'opus: ffmpeg spawned per request (before)',
        ...(await timed(30, () => runFfmpeg(ffmpeg, opus, pcm, { timeoutMs: 10_000 }), 300)),
      },
      {
        encoder: 'opus: ffmpeg started ahead (used)',
        // 300 ms between requests, for both: time for the replacement of the process just used to start.
        ...(await timed(30, () => collectBytes(ffmpegTransform(pool.take(opus), onePiece(pcm))), 300)),
      },
    ];
  } finally {
    pool.close();
  }
}

export const codecsSuite: Suite = {
  name: 'codecs',
  description: 'encoders and resamplers side by side: what the audio pipeline uses and the alternatives',
  async run() {
    const encoderRows = await encoders();
    const rows: Record<string, unknown>[] = [];
    for (const candidate of CANDIDATES) {
      const speeds: Record<string, number> = {};
      for (const [from, to] of [
        [22050, 16000],
        [24000, 16000],
        [16000, 24000],
      ]) {
        const input = tone(440, from, 10);
        await streamed(candidate, input, from, to); // warm-up (and WebAssembly compilation)
        const times: number[] = [];
        for (let run = 0; run < 7; run++) {
          const started = performance.now();
          await streamed(candidate, input, from, to);
          times.push(performance.now() - started);
        }
        speeds[`${from}→${to} ms per s of audio`] = round(percentile(times, 50) / 10, 3);
      }
      const kept = await streamed(candidate, tone(1000, 22050, 1), 22050, 16000);
      rows.push({
        resampler: candidate.name,
        ...speeds,
        '1 kHz level (dBFS, input −6.0)': round(levelDb(kept, 16000, 1000), 2),
        '1.1 kHz leakage (dBFS)': round(levelDb(kept, 16000, 1100), 1),
        'worst alias of 8.2–11 kHz (dBFS)': round(await worstAliasDb(candidate), 1),
      });
    }
    return { encoders: encoderRows, rows };
  },
};
