/** Amplitude of `frequency` in `samples` (a single-bin DFT over the middle half, away from the edges). */
export function toneAmplitude(samples: Float32Array, sampleRate: number, frequency: number): number {
  const start = Math.floor(samples.length / 4);
  const end = Math.floor((samples.length * 3) / 4);
  let re = 0;
  let im = 0;
  for (let i = start; i < end; i++) {
    re += samples[i] * Math.cos((2 * Math.PI * frequency * i) / sampleRate);
    im += samples[i] * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  }
  return (2 * Math.hypot(re, im)) / (end - start);
}

/** The same level in dB re full scale. */
export function toneLevelDb(samples: Float32Array, sampleRate: number, frequency: number): number {
  return 20 * Math.log10(toneAmplitude(samples, sampleRate, frequency) + 1e-12);
}
