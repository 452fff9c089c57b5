import { AudioPipeline } from '../../../src/audio/audio-pipeline';
import { alawToLinear, encodeG711, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../src/audio/g711';
import { decodeToPcm, dominantFrequency, sine } from './audio-probe';

describe('G.711 companding', () => {
  it('μ-law: the reference values of silence, full scale and segment edges', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToUlaw(-1)).toBe(0x7f);
    // Decoding the codes gives the segment's reconstruction levels (ITU-T G.711 table 2a).
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0xef)).toBe(132);
  });

  it('A-law: the reference values of silence, full scale and segment edges', () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
  });

  it.each([
    ['ulaw', linearToUlaw, ulawToLinear],
    ['alaw', linearToAlaw, alawToLinear],
  ] as const)('%s round trip is monotonic and within the step of its segment', (_law, encode, decode) => {
    let previous = -Infinity;
    for (let sample = -32768; sample <= 32767; sample += 61) {
      const decoded = decode(encode(sample));
      expect(decoded).toBeGreaterThanOrEqual(previous);
      previous = decoded;
      // Companding error grows with the level: at most about 1/32 of it, plus the smallest step.
      expect(Math.abs(decoded - sample)).toBeLessThanOrEqual(Math.abs(sample) / 32 + 16);
    }
  });

  it.each(['ulaw', 'alaw'] as const)('%s decoded by ffmpeg gives back the tone, sample for sample', async (law) => {
    const tone = sine(440, 0.5, 8000);
    const bytes = encodeG711(tone, law);
    expect(bytes.length).toBe(tone.length);
    const decoded = await decodeToPcm(bytes, law, 8000, ['-f', law === 'ulaw' ? 'mulaw' : 'alaw', '-ar', '8000', '-ac', '1']);
    expect(decoded.length).toBe(tone.length);
    const ours = law === 'ulaw' ? ulawToLinear : alawToLinear;
    for (let i = 0; i < bytes.length; i++) expect(decoded[i]).toBe(ours(bytes[i]));
    expect(dominantFrequency(decoded, 8000)).toBeCloseTo(440, -1);
  });

  it.each(['ulaw', 'alaw'] as const)('the pipeline encodes %s at 8 kHz from a 16 kHz voice, one byte per sample', async (format) => {
    const sut = new AudioPipeline();
    try {
      const encoded = await sut.encode(sine(440, 1, 16000), 16000, { format, sampleRate: 8000 });
      expect(encoded.bytes.length).toBe(8000);
      expect(encoded.durationSeconds).toBeCloseTo(1, 3);
    } finally {
      sut.close();
    }
  });
});
