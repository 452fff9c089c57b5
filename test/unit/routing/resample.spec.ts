import { resample, StreamResampler } from '../../../src/audio/resample';
import { toneSamples } from '../../fakes/scriptable-upstream';
import { toneAmplitude, toneLevelDb } from '../../support/tone-analysis';

/** A tone as the tests write it: frequency first. */
const sine = (frequency: number, sampleRate: number, seconds: number, amplitude = 0.5) =>
  toneSamples(seconds, sampleRate, frequency, amplitude);

function peak(samples: Float32Array): number {
  let max = 0;
  for (let i = Math.floor(samples.length / 4); i < (samples.length * 3) / 4; i++) max = Math.max(max, Math.abs(samples[i]));
  return max;
}

describe('resample', () => {
  it('keeps a 1 kHz sine at its frequency and amplitude from 22,050 to 16,000 Hz', () => {
    const input = sine(1000, 22050, 1);
    const sut = resample(input, 22050, 16000);
    expect(sut.length).toBe(16000);
    expect(toneAmplitude(sut, 16000, 1000)).toBeCloseTo(0.5, 2);
    expect(toneAmplitude(sut, 16000, 1100)).toBeLessThan(0.01);
    expect(peak(sut)).toBeGreaterThan(0.49);
    expect(peak(sut)).toBeLessThan(0.51);
  });

  it('has the right length for other ratios', () => {
    expect(resample(new Float32Array(24000), 24000, 16000).length).toBe(16000);
    expect(resample(new Float32Array(1000), 16000, 24000).length).toBe(1500);
    expect(resample(new Float32Array(44100), 44100, 16000).length).toBe(16000);
    expect(resample(new Float32Array(7), 22050, 16000).length).toBe(5);
  });

  it('keeps a tone when upsampling 16,000 → 24,000 Hz', () => {
    const sut = resample(sine(3000, 16000, 0.5), 16000, 24000);
    expect(toneAmplitude(sut, 24000, 3000)).toBeCloseTo(0.5, 2);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    // 10 kHz at 44.1 kHz would fold to 6 kHz at 16 kHz if samples were merely dropped.
    const sut = resample(sine(10000, 44100, 0.5), 44100, 16000);
    expect(toneAmplitude(sut, 16000, 6000)).toBeLessThan(0.005);
    expect(peak(sut)).toBeLessThan(0.01);
  });

  it('returns the input unchanged at the same rate', () => {
    const input = sine(440, 16000, 0.1);
    expect(resample(input, 16000, 16000)).toBe(input);
  });
});

describe('StreamResampler', () => {
  it.each([
    [22050, 16000],
    [16000, 24000],
    [24000, 16000],
    [44100, 22050],
    [48000, 44100],
  ])('gives exactly the whole-signal result when fed in uneven pieces (%i → %i Hz)', (from, to) => {
    const input = sine(1234, from, 0.37);
    const whole = resample(input, from, to);
    const sut = new StreamResampler(from, to);
    const pieces: Float32Array[] = [];
    let at = 0;
    for (const size of [1, 7, 300, 4096, 13, 999999]) {
      pieces.push(sut.push(input.subarray(at, at + size)));
      at += size;
    }
    pieces.push(sut.end());
    const streamed = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
    let offset = 0;
    for (const piece of pieces) {
      streamed.set(piece, offset);
      offset += piece.length;
    }
    expect(streamed.length).toBe(Math.round((input.length * to) / from));
    expect(Array.from(streamed)).toEqual(Array.from(whole));
  });

  it('holds back no more than a kernel of input before the end', () => {
    const sut = new StreamResampler(24000, 16000);
    const out = sut.push(new Float32Array(2400));
    expect(out.length).toBeGreaterThan(1600 - 40);
    expect(out.length + sut.end().length).toBe(1600);
  });
});

describe('resampling quality (22,050 → 16,000 Hz, the Piper-voice case)', () => {
  const levelDb = toneLevelDb;

  it('keeps a 1 kHz tone at its frequency and level, with nothing beside it', () => {
    const sut = resample(sine(1000, 22050, 1, 1), 22050, 16000);
    expect(levelDb(sut, 16000, 1000)).toBeCloseTo(0, 1);
    expect(levelDb(sut, 16000, 1100)).toBeLessThan(-60);
  });

  it('lets no tone above the new Nyquist frequency alias back above −60 dB', () => {
    for (let frequency = 8200; frequency <= 11000; frequency += 400) {
      const sut = resample(sine(frequency, 22050, 0.5, 1), 22050, 16000);
      expect(levelDb(sut, 16000, 16000 - frequency)).toBeLessThan(-60);
    }
  });
});
