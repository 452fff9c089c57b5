import { join } from 'node:path';
import { phonemizeClauses } from '../../../src/espeak/espeak-speech';
import { InferencePool, resolvePoolSize } from '../../../src/providers/vits/inference.pool';

// The pool runs the compiled worker from dist/: `npm run build` first.
const MODEL = join(__dirname, '../../fixtures/voices/sauti-test-v1.onnx');

describe('InferencePool', () => {
  it('sizes itself from config: 0 means one thread per core, at most 4', () => {
    expect(resolvePoolSize(0, 2)).toBe(2);
    expect(resolvePoolSize(0, 16)).toBe(4);
    expect(resolvePoolSize(0, 1)).toBe(1);
    expect(resolvePoolSize(3, 2)).toBe(3);
  });

  describe('with one thread', () => {
    let sut: InferencePool;
    beforeAll(() => {
      sut = new InferencePool({ poolSize: 1, threadsPerWorker: 1 });
    });
    afterAll(() => sut.close());

    it('runs the Piper-layout model with its scales', async () => {
      const normal = await sut.infer({ modelPath: MODEL, ids: [1, 0, 20, 0, 2], noiseScale: 0.667, lengthScale: 1, noiseW: 0.8 });
      const slow = await sut.infer({ modelPath: MODEL, ids: [1, 0, 20, 0, 2], noiseScale: 0.667, lengthScale: 2, noiseW: 0.8 });
      expect(Object.prototype.toString.call(normal)).toBe('[object Float32Array]'); // another realm's Float32Array under jest
      expect(normal.length).toBe(5 * 400);
      expect(slow.length).toBe(2 * normal.length);
    });

    it('drops a waiting task whose signal aborts, and never runs it', async () => {
      const before = sut.completed;
      const busy = sut.infer({
        modelPath: MODEL,
        ids: Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0 : 20)),
        noiseScale: 0.667,
        lengthScale: 1,
        noiseW: 0.8,
      });
      const controller = new AbortController();
      const dropped = sut.infer({ modelPath: MODEL, ids: [1, 0, 2], noiseScale: 0, lengthScale: 1, noiseW: 0 }, controller.signal);
      expect(sut.queued).toBe(1);
      controller.abort(new Error('caller gone'));
      await expect(dropped).rejects.toThrow('caller gone');
      expect(sut.queued).toBe(0);
      await expect(busy).resolves.toHaveLength(400 * 400);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sut.completed - before).toBe(1);
    });

    it('phonemizes outside its threads: a busy pool does not delay phonemization', async () => {
      const busy = sut.infer({
        modelPath: MODEL,
        ids: Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0 : 20)),
        noiseScale: 0.667,
        lengthScale: 1,
        noiseW: 0.8,
      });
      const phonemes = await phonemizeClauses(['habari za asubuhi'], 'sw');
      expect(sut.queued).toBe(0);
      expect(phonemes).toEqual(['habˈari za ˌasubˈuhi']);
      await busy;
    });

    it('rejects at once when the signal is already aborted', async () => {
      await expect(
        sut.infer({ modelPath: MODEL, ids: [1, 2], noiseScale: 0, lengthScale: 1, noiseW: 0 }, AbortSignal.abort(new Error('late'))),
      ).rejects.toThrow('late');
    });

    it('reports a broken model as an error, not a crash', async () => {
      await expect(
        sut.infer({ modelPath: join(__dirname, 'no-such-model.onnx'), ids: [1, 2], noiseScale: 0, lengthScale: 1, noiseW: 0 }),
      ).rejects.toThrow();
      const after = await sut.infer({ modelPath: MODEL, ids: [1, 2, 3], noiseScale: 0, lengthScale: 1, noiseW: 0 });
      expect(after.length).toBe(3 * 400);
    });
  });
});
