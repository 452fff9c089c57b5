import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { locateFfmpeg } from '../../../src/audio/ffmpeg';
import { FfmpegPool } from '../../../src/audio/ffmpeg-stream';
import { ffmpegChildren } from './audio-probe';

/** Raw PCM in, WAV out: any argument list serves; these end at once when their input ends empty. */
const ARGS = ['-hide_banner', '-loglevel', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', '-f', 'wav', 'pipe:1'];
const OTHER = ARGS.map((arg) => (arg === '16000' ? '24000' : arg));

/** Uses a taken process as a request would (some input, then its end) and waits for it to close. */
function use(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    child.stdout.resume();
    child.once('close', () => resolve());
    child.stdin.end(Buffer.alloc(3200));
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The real ffmpeg, with the idle waits made short. */
describe('FfmpegPool: processes started ahead, as many as were in use at once', () => {
  const ffmpeg = locateFfmpeg();
  let pool: FfmpegPool;

  beforeEach(() => {
    if (!ffmpeg) throw new Error('the ffmpeg binary of @ffmpeg-installer/ffmpeg is missing');
    pool = new FfmpegPool(ffmpeg, { idleMs: 400, lastIdleMs: 1500 });
  });
  afterEach(async () => {
    pool.close();
    await until(() => ffmpegChildren().length === 0, 'every ffmpeg to end');
  });

  it('after one request, two wait for the next; a take hands out one that was started', async () => {
    await use(pool.take(ARGS));
    await until(() => pool.ready() === 2, 'two ready');
    const started = ffmpegChildren().length;
    const child = pool.take(ARGS);
    expect(pool.ready()).toBe(1);
    expect(ffmpegChildren()).toHaveLength(started); // nothing spawned for it
    await use(child);
  });

  it('a burst of four at once leaves four ready, and the extras stop once unused; the last stays longer, then stops too', async () => {
    await Promise.all([1, 2, 3, 4].map(() => use(pool.take(ARGS))));
    await until(() => pool.ready() === 4, 'four ready');
    await new Promise((resolve) => setTimeout(resolve, 700)); // past idleMs
    expect(pool.ready()).toBe(1);
    expect(ffmpegChildren()).toHaveLength(1);
    await until(() => pool.ready() === 0, 'the last one to stop', 3000);
  });

  it('a burst beyond four leaves four ready (the most kept), and each argument list has its own', async () => {
    await Promise.all([1, 2, 3, 4, 5, 6].map(() => use(pool.take(ARGS))));
    await use(pool.take(OTHER));
    await until(() => pool.ready() === 6, 'four and two ready');
    expect(ffmpegChildren()).toHaveLength(6);
  });

  it('two wait for the next request while another is still running', async () => {
    const long = pool.take(ARGS); // its input not ended yet
    long.stdout.resume();
    await use(pool.take(ARGS));
    await until(() => pool.ready() === 2, 'two ready beside the running one');
    await use(long);
  });

  it('a quiet argument list after a burst goes back to two', async () => {
    await Promise.all([1, 2, 3].map(() => use(pool.take(ARGS))));
    await until(() => pool.ready() === 3, 'three ready');
    await new Promise((resolve) => setTimeout(resolve, 700)); // the extras stop
    expect(pool.ready()).toBe(1);
    await use(pool.take(ARGS)); // one at a time again
    await until(() => pool.ready() === 2, 'two ready');
  });
});
