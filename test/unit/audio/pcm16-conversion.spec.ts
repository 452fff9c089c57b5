import { floatToInt16, floatToPcm16 } from '../../../src/audio/wav';

/** The conversion as it was written before the one-pass loop: the reference the faster loop must match sample for sample. */
function reference(value: number): number {
  const clipped = Number.isNaN(value) ? 0 : value >= 1 ? 1 : value <= -1 ? -1 : value;
  return Math.round(clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff);
}

describe('float → 16-bit PCM', () => {
  it('matches Math.round of the scaled sample everywhere, clips out-of-range values and turns NaN into 0', () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      1.5,
      -1.5,
      Infinity,
      -Infinity,
      NaN,
      0.5 / 0x7fff,
      -0.5 / 0x8000,
      1.5 / 0x7fff,
      -1.5 / 0x8000,
      1e-30,
      -1e-30,
    ];
    const random = Array.from({ length: 100_000 }, (_, i) => Math.sin(i * 12.9898) * 1.2);
    const samples = Float32Array.from([...edges, ...random]);
    const converted = new Int16Array(samples.length);
    floatToInt16(samples, converted);
    const expected = Int16Array.from(samples, reference);
    expect(Buffer.from(converted.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(Array.from(converted.subarray(0, 9))).toEqual([0, 0, 32767, -32768, 32767, -32768, 32767, -32768, 0]);
  });

  it('gives little-endian bytes', () => {
    expect([...floatToPcm16(Float32Array.of(1, -1, 0.5))]).toEqual([0xff, 0x7f, 0x00, 0x80, 0x00, 0x40]);
  });
});
