/**
 * `npm run bench -- resampler`: our windowed-sinc resampler (src/audio/resample.ts) side by side with
 * libsamplerate compiled to WebAssembly (`@alexanderolsen/libsamplerate-js`, devDependency for this
 * bench only), on what the pipeline does: mono audio resampled while it streams, in 100 ms pieces.
 * Speed: CPU time per second of audio. Quality: a 1 kHz tone keeps its frequency (22,050 → 16,000 Hz),
 * and tones above the new Nyquist frequency (8.2 to 11 kHz) come out below −60 dB (no aliasing).
 */
import { ConverterType, create } from '@alexanderolsen/libsamplerate-js';
import { StreamResampler } from '../src/audio/resample';
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

function tone(frequency: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return samples;
}

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

/** Level of `frequency` in dB re full scale (single-bin DFT over the middle half, away from the edges). */
function levelDb(samples: Float32Array, sampleRate: number, frequency: number): number {
  const start = Math.floor(samples.length / 4);
  const end = Math.floor((samples.length * 3) / 4);
  let re = 0;
  let im = 0;
  for (let i = start; i < end; i++) {
    re += samples[i] * Math.cos((2 * Math.PI * frequency * i) / sampleRate);
    im += samples[i] * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return 20 * Math.log10((2 * Math.hypot(re, im)) / (end - start) + 1e-12);
}

/** Worst level of any tone between 8.2 and 11 kHz after 22,050 → 16,000 Hz, measured where it would alias to. */
async function worstAliasDb(candidate: (typeof CANDIDATES)[number]): Promise<number> {
  let worst = -Infinity;
  for (let frequency = 8200; frequency <= 11000; frequency += 200) {
    const output = await streamed(candidate, tone(frequency, 22050, 0.5, 1), 22050, 16000);
    worst = Math.max(worst, levelDb(output, 16000, 16000 - frequency));
  }
  return worst;
}

export const resamplerSuite: Suite = {
  name: 'resampler',
  description: 'our streaming resampler vs libsamplerate-js: CPU per second of audio, tone fidelity, aliasing',
  async run() {
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
    return { rows };
  },
};
