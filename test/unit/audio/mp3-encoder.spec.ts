import { readFileSync } from 'node:fs';
import { createEncoder } from 'wasm-media-encoders';
import { AudioPipeline } from '../../../src/audio/audio-pipeline';
import { loadNativeLame, NativeLame } from '../../../src/audio/lame-native';
import { Mp3Bitrate, Mp3Encoder, mp3ResetCounts, mp3SnapshotStatus } from '../../../src/audio/mp3-encoder';

type Rate = 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;

const compiled = WebAssembly.compile(readFileSync(require.resolve('wasm-media-encoders/wasm/mp3')));

/** A tone under noise, different for every seed (its own frequency, level and noise). */
function testSignal(seed: number, sampleRate: number, seconds: number): Float32Array {
  const samples = new Float32Array(Math.round(sampleRate * seconds));
  const frequency = 180 + 97 * seed;
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < samples.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const noise = (state / 0x100000000 - 0.5) * (0.05 + 0.04 * (seed % 4));
    samples[i] = (0.3 + 0.05 * (seed % 5)) * Math.sin((2 * Math.PI * frequency * i) / sampleRate) + noise;
  }
  return samples;
}

/** The samples cut into chunks of the given sizes, taken in turn. */
function chunked(samples: Float32Array, sizes: number[]): Float32Array[] {
  const chunks: Float32Array[] = [];
  for (let start = 0, turn = 0; start < samples.length; turn++) {
    const end = Math.min(samples.length, start + sizes[turn % sizes.length]);
    chunks.push(samples.subarray(start, end));
    start = end;
  }
  return chunks;
}

/** LAME from the library on an instance of its own, configured as Mp3Encoder does: what a reused encoder must match. */
async function freshBytes(sampleRate: Rate, bitrate: Mp3Bitrate, chunks: Float32Array[]): Promise<Buffer> {
  const encoder = await createEncoder('audio/mpeg', await compiled);
  encoder.configure({ channels: 1, sampleRate, bitrate, outputSampleRate: sampleRate });
  const parts = chunks.map((chunk) => Buffer.from(encoder.encode([chunk])));
  return Buffer.concat([...parts, Buffer.from(encoder.finalize())]);
}

function encodeStream(sut: Mp3Encoder, chunks: Float32Array[]): Buffer {
  const parts = chunks.map((chunk) => sut.encode(chunk));
  return Buffer.concat([...parts, sut.finish()]);
}

/** The LAME instance under an Mp3Encoder, to tell which one a create() handed out. */
function instanceOf(encoder: Mp3Encoder): unknown {
  return (encoder as unknown as { encoder: unknown }).encoder;
}

/** Resets run in a setImmediate; a key's first snapshot is taken and checked after an instance is made. */
async function resetsDone(sampleRate: Rate, bitrate: Mp3Bitrate): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  for (let wait = 0; wait < 200 && mp3SnapshotStatus(sampleRate, bitrate) === 'pending'; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One stream on a new encoder, so the key's snapshot is taken and checked. */
async function primed(sampleRate: Rate, bitrate: Mp3Bitrate): Promise<void> {
  const chunks = chunked(testSignal(0, sampleRate, 0.4), [4800]);
  const encoded = encodeStream(await Mp3Encoder.create(sampleRate, bitrate), chunks);
  expect(encoded.equals(await freshBytes(sampleRate, bitrate, chunks))).toBe(true);
  await resetsDone(sampleRate, bitrate);
  expect(mp3SnapshotStatus(sampleRate, bitrate)).toBe('verified');
}

const CHUNKINGS = [[4800], [1152], [37, 9000, 511], [24000], [2000, 1], [700, 13000]];

describe('Mp3Encoder reuse', () => {
  it.each([
    [24000, 64],
    [16000, 32],
  ] as const)('at %i Hz and %i kbps, encoders reused for 6 streams give the bytes of new ones', async (sampleRate, bitrate) => {
    await primed(sampleRate, bitrate);
    const before = mp3ResetCounts();
    for (let stream = 1; stream <= 6; stream++) {
      // Two at once: the primed instance (configured twice before) and, the first time, a new one.
      const pair = [await Mp3Encoder.create(sampleRate, bitrate), await Mp3Encoder.create(sampleRate, bitrate)];
      expect(instanceOf(pair[0])).not.toBe(instanceOf(pair[1]));
      for (const [index, sut] of pair.entries()) {
        const chunks = chunked(
          testSignal(2 * stream + index, sampleRate, 0.3 + 0.17 * stream),
          CHUNKINGS[(stream + index) % CHUNKINGS.length],
        );
        expect(encodeStream(sut, chunks).equals(await freshBytes(sampleRate, bitrate, chunks))).toBe(true);
      }
      await resetsDone(sampleRate, bitrate);
    }
    const after = mp3ResetCounts();
    expect(after.restored - before.restored).toBe(12);
    expect(after.configured).toBe(before.configured);
  });

  it("a key's first reset configures and starts its snapshot; once checked, resets copy it back", async () => {
    const before = mp3ResetCounts();
    expect(mp3SnapshotStatus(32000, 96)).toBe('none');
    encodeStream(await Mp3Encoder.create(32000, 96), [testSignal(1, 32000, 0.2)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(mp3ResetCounts().configured).toBe(before.configured + 1);
    expect(mp3SnapshotStatus(32000, 96)).toBe('pending');
    await resetsDone(32000, 96);
    expect(mp3SnapshotStatus(32000, 96)).toBe('verified');
    for (let stream = 0; stream < 3; stream++) {
      encodeStream(await Mp3Encoder.create(32000, 96), [testSignal(stream, 32000, 0.2)]);
      await resetsDone(32000, 96);
    }
    expect(mp3ResetCounts()).toEqual({ restored: before.restored + 3, configured: before.configured + 1 });
  });

  it('an encoder released mid-stream, then reused, gives the bytes of a new one', async () => {
    await primed(22050, 48);
    const abandoned = await Mp3Encoder.create(22050, 48);
    const cutShort = testSignal(7, 22050, 0.5);
    abandoned.encode(cutShort.subarray(0, 5000));
    abandoned.encode(cutShort.subarray(5000, 8000));
    const before = mp3ResetCounts();
    abandoned.release();
    await resetsDone(22050, 48);
    expect(mp3ResetCounts().restored).toBe(before.restored + 1);

    const sut = await Mp3Encoder.create(22050, 48);
    expect(instanceOf(sut)).toBe(instanceOf(abandoned));
    const chunks = chunked(testSignal(8, 22050, 0.7), [3000, 700]);
    expect(encodeStream(sut, chunks).equals(await freshBytes(22050, 48, chunks))).toBe(true);
  });

  it('keeps snapshots for 4 keys: the least recently used is dropped and its resets configure again', async () => {
    await jest.isolateModulesAsync(async () => {
      const isolated = await import('../../../src/audio/mp3-encoder');
      for (const sampleRate of [12000, 16000, 22050, 24000, 32000] as const) {
        (await isolated.Mp3Encoder.create(sampleRate, 32)).finish();
        for (let wait = 0; wait < 200 && isolated.mp3SnapshotStatus(sampleRate, 32) !== 'verified'; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(isolated.mp3SnapshotStatus(sampleRate, 32)).toBe('verified');
      }
      expect(isolated.mp3SnapshotStatus(12000, 32)).toBe('dropped');
      expect(isolated.mp3SnapshotStatus(16000, 32)).toBe('verified');
      const before = isolated.mp3ResetCounts();
      (await isolated.Mp3Encoder.create(12000, 32)).finish();
      await new Promise((resolve) => setImmediate(resolve));
      expect(isolated.mp3ResetCounts()).toEqual({ restored: before.restored, configured: before.configured + 1 });
      expect(isolated.mp3SnapshotStatus(12000, 32)).toBe('dropped');
    });
  });
});

/**
 * The system's LAME (libmp3lame0, which `npm run check` installs): the tests fail, never skip, where it
 * is missing. Its bytes must be the WebAssembly build's: both are LAME 3.100 at the same settings.
 */
describe('Mp3Encoder on the system LAME', () => {
  let lame: NativeLame;

  beforeAll(() => {
    const opened = loadNativeLame();
    if (!opened) throw new Error('libmp3lame could not be opened: install it (apt-get install libmp3lame0)');
    lame = opened;
  });

  it('opens libmp3lame and names it', () => {
    expect(lame.library).toBe('libmp3lame.so.0');
    expect(lame.version).toMatch(/^3\.\d+/);
    expect(new AudioPipeline().mp3Encoder()).toBe(`LAME ${lame.version} (libmp3lame.so.0)`);
    expect(new AudioPipeline({}, { lameLibrary: 'wasm' }).mp3Encoder()).toBe('LAME in WebAssembly (wasm-media-encoders)');
  });

  it('a LAME_LIBRARY that does not open stops the pipeline from being made', () => {
    expect(() => new AudioPipeline({}, { lameLibrary: '/nonexistent/libmp3lame.so.0' })).toThrow(/LAME_LIBRARY=\/nonexistent/);
    // A library that opens but is not LAME.
    expect(() => new AudioPipeline({}, { lameLibrary: 'libc.so.6' })).toThrow(/no LAME library/);
  });

  it.each([
    [24000, 64],
    [16000, 32],
    [22050, 48],
    [44100, 128],
    [48000, 32],
  ] as const)('at %i Hz and %i kbps, writes the bytes of the WebAssembly build, stream after stream', async (sampleRate, bitrate) => {
    for (let stream = 0; stream < 4; stream++) {
      const chunks = chunked(testSignal(stream + sampleRate / 1000, sampleRate, 0.3 + 0.2 * stream), CHUNKINGS[stream]);
      const sut = await Mp3Encoder.create(sampleRate, bitrate, lame);
      expect(encodeStream(sut, chunks).equals(await freshBytes(sampleRate, bitrate, chunks))).toBe(true);
      // The next stream takes the encoder configured off this thread when it is ready, or opens its own.
      await new Promise((resolve) => setTimeout(resolve, stream % 2 === 0 ? 20 : 0));
    }
  });

  it('an encoder released mid-stream is closed and the next one gives the bytes of a new one', async () => {
    const abandoned = await Mp3Encoder.create(24000, 64, lame);
    const cutShort = testSignal(11, 24000, 0.5);
    abandoned.encode(cutShort.subarray(0, 5000));
    abandoned.release();
    abandoned.release(); // twice changes nothing
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await Mp3Encoder.create(24000, 64, lame);
    expect(instanceOf(next)).not.toBe(instanceOf(abandoned));
    const chunks = chunked(testSignal(12, 24000, 0.6), [2400]);
    expect(encodeStream(next, chunks).equals(await freshBytes(24000, 64, chunks))).toBe(true);
  });

  it('the pipeline transcodes to mp3 with the system LAME, to the bytes it writes with WebAssembly', async () => {
    const samples = testSignal(5, 24000, 1);
    const native = await new AudioPipeline().encode(samples, 24000, { format: 'mp3', sampleRate: 24000 });
    const wasm = await new AudioPipeline({}, { lameLibrary: 'wasm' }).encode(samples, 24000, { format: 'mp3', sampleRate: 24000 });
    expect(native.bytes.length).toBeGreaterThan(7000);
    expect(native.bytes.equals(wasm.bytes)).toBe(true);
    expect(native.durationSeconds).toBeCloseTo(wasm.durationSeconds, 6);
  });
});
