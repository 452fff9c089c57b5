import { resample } from '../../../src/audio/resample';
import { Resampler } from '../../../src/audio/resampler';

describe('Resampler (worker thread for long audio)', () => {
  const sut = new Resampler();
  afterAll(() => sut.onModuleDestroy());

  function tone(seconds: number, rate: number): Float32Array {
    const samples = new Float32Array(Math.round(seconds * rate));
    for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate);
    return samples;
  }

  it('gives, from its worker thread, exactly what the inline filter gives, and leaves the input intact', async () => {
    const input = tone(3, 22050);
    const before = input.slice();
    const threaded = await sut.resample(input, 22050, 16000);
    // The array comes from another realm (the worker thread): compare values, not constructors.
    expect(Array.from(threaded)).toEqual(Array.from(resample(before, 22050, 16000)));
    expect(threaded.length).toBe(48000);
    expect(input).toEqual(before);
  });

  it('keeps the event loop free while a long resample runs', async () => {
    const input = tone(60, 22050);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const output = await sut.resample(input, 22050, 16000);
    clearInterval(timer);
    expect(output.length).toBe(960000);
    expect(ticks).toBeGreaterThan(3);
  });

  it('resamples short audio inline and returns same-rate audio untouched', async () => {
    const short = tone(0.1, 24000);
    expect((await sut.resample(short, 24000, 16000)).length).toBe(1600);
    expect(await sut.resample(short, 24000, 24000)).toBe(short);
  });
});
