import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { FfmpegRunError, spawnFfmpeg, StderrTail } from './ffmpeg';

/** Processes kept started per argument list at least; a request takes one and a replacement starts behind it. */
const READY_PER_ARGUMENTS = 2;
/** At most: as many as were in use at once lately (a burst of three opus streams keeps three ready). */
const MAX_READY_PER_ARGUMENTS = 4;

/** When started processes nobody takes are stopped. An idle one holds ~0.4 MB of its own (the rest is the shared binary). */
export interface FfmpegPoolTimings {
  /** A process beyond the last one of its argument list, not taken for this long. */
  idleMs: number;
  /** The last one of its argument list, so the next request of a format used now and then does not pay the start. */
  lastIdleMs: number;
}

const POOL_TIMINGS: FfmpegPoolTimings = { idleMs: 60_000, lastIdleMs: 15 * 60_000 };
/** After its input ends, ffmpeg must finish within this long or it is killed. */
const FINISH_TIMEOUT_MS = 30_000;

interface ReadyProcess {
  child: ChildProcessWithoutNullStreams;
  timer: NodeJS.Timeout;
  /** Kept past idleMs as its argument list's last one. */
  kept?: boolean;
}

/** An argument list's processes in use now, and the most in use at once since the pool last filled for it. */
interface Demand {
  inUse: number;
  peak: number;
}

/**
 * ffmpeg processes started before they are needed. Starting ffmpeg costs ~20 ms (dynamic linking,
 * codec registration) before it reads a byte; a process started ahead waits on its stdin at no cost,
 * so a request that needs opus, aac, flac or a compressed upstream decoded takes one that is ready and
 * pays nothing for the start. Kept per argument list (format and rate) once it has been used: two, or
 * as many as were in use at once lately (up to four); the extras stop after a minute unused, the last
 * one after a quarter of an hour. Idle processes do not keep the Node process alive.
 */
export class FfmpegPool {
  private readonly waiting = new Map<string, ReadyProcess[]>();
  private readonly demand = new Map<string, Demand>();
  private closed = false;

  constructor(
    private readonly ffmpegPath: string,
    private readonly timings: FfmpegPoolTimings = POOL_TIMINGS,
  ) {}

  /** A started ffmpeg with these arguments, ready for input. */
  take(args: string[]): ChildProcessWithoutNullStreams {
    const key = args.join('\u0000');
    const list = this.waiting.get(key) ?? [];
    let taken: ChildProcessWithoutNullStreams | undefined;
    while (!taken && list.length > 0) {
      const next = list.shift() as ReadyProcess;
      clearTimeout(next.timer);
      if (next.child.exitCode === null && next.child.signalCode === null) taken = next.child;
      else next.child.kill('SIGKILL');
    }
    const child = taken ?? spawnFfmpeg(this.ffmpegPath, args);
    setReferenced(child, true);
    const demand = this.demand.get(key) ?? { inUse: 0, peak: 0 };
    this.demand.set(key, demand);
    demand.inUse++;
    demand.peak = Math.max(demand.peak, demand.inUse);
    // The replacement starts once this one has finished, so its start-up does not compete with the request for the CPU.
    child.once('close', () => {
      demand.inUse--;
      if (!this.closed) this.refill(key, args, demand);
    });
    return child;
  }

  /** Processes started and waiting to be taken. */
  ready(): number {
    let count = 0;
    for (const list of this.waiting.values()) count += list.length;
    return count;
  }

  /** Stops every idle process (on shutdown). Processes in use end with their streams. */
  close(): void {
    this.closed = true;
    for (const list of this.waiting.values()) for (const ready of list.splice(0)) stop(ready);
  }

  /** Ready processes for `key`: two, or what its busiest moment since the burst began needed beyond those still in use. */
  private refill(key: string, args: string[], demand: Demand): void {
    const list = this.waiting.get(key) ?? [];
    this.waiting.set(key, list);
    // Two waiting at least, whatever is still running; after a burst, as many as it had at once.
    const wanted = Math.min(MAX_READY_PER_ARGUMENTS, Math.max(READY_PER_ARGUMENTS, demand.peak - demand.inUse));
    if (demand.inUse === 0) demand.peak = 0; // a burst counts until it is over
    while (!this.closed && list.length < wanted) {
      const child = spawnFfmpeg(this.ffmpegPath, args);
      child.on('error', () => undefined); // a binary that cannot start shows up when the process is taken
      child.stdin.on('error', () => undefined);
      setReferenced(child, false);
      const ready: ReadyProcess = { child, timer: setTimeout(() => this.retire(key, ready), this.timings.idleMs).unref() };
      list.push(ready);
    }
  }

  /** Stops a process nobody took; the last of its argument list gets the longer wait first. */
  private retire(key: string, ready: ReadyProcess): void {
    const list = this.waiting.get(key);
    const index = list?.indexOf(ready) ?? -1;
    if (list && index >= 0 && list.length === 1 && !ready.kept) {
      ready.kept = true;
      ready.timer = setTimeout(() => this.retire(key, ready), this.timings.lastIdleMs - this.timings.idleMs).unref();
      return;
    }
    if (list && index >= 0) list.splice(index, 1);
    stop(ready);
  }
}

function stop(ready: ReadyProcess): void {
  clearTimeout(ready.timer);
  ready.child.kill('SIGKILL');
}

/** Whether a child and its pipes keep the event loop alive: idle ones must not, ones in use must. */
function setReferenced(child: ChildProcessWithoutNullStreams, referenced: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
    if (referenced) handle.ref?.();
    else handle.unref?.();
  }
}

export interface FfmpegTransformOptions {
  /** Kill ffmpeg when this aborts; the stream fails with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Pipes `input` through a started ffmpeg and yields what it writes, as it writes it. Input is written
 * with back-pressure. Fails with an FfmpegRunError when ffmpeg fails (its exit status and stderr, even
 * when writing to it then failed with EPIPE), or with the input's own error when the input failed
 * first. A consumer that stops early kills ffmpeg; the input's producer is stopped by its own signal
 * (the request's), which the caller aborts.
 */
export async function* ffmpegTransform(
  child: ChildProcessWithoutNullStreams,
  input: AsyncIterable<Buffer>,
  options: FfmpegTransformOptions = {},
): AsyncGenerator<Buffer> {
  const stderr = new StderrTail();
  child.stderr.on('data', (chunk: Buffer) => stderr.append(chunk));
  child.stdin.on('error', () => undefined); // EPIPE after an early exit: the exit status says why
  let startError: Error | undefined;
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      startError = error;
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  void exited.then(() => (hasExited = true));
  // Set when the input failed and ffmpeg was killed for it: the input's error is then the stream's.
  let inputFailure: { error: unknown } | undefined;
  let finishTimer: NodeJS.Timeout | undefined;
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (hasExited || child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) await writable(child);
      }
      child.stdin.end();
      finishTimer = setTimeout(() => child.kill('SIGKILL'), FINISH_TIMEOUT_MS);
    } catch (error) {
      if (hasExited) return; // ffmpeg ended first: its exit says what went wrong
      inputFailure = { error };
      child.kill('SIGKILL');
    }
  })();
  let completed = false;
  const onAbort = () => child.kill('SIGKILL');
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    const { code, signal } = await exited;
    if (options.signal?.aborted) throw options.signal.reason;
    if (inputFailure) throw inputFailure.error;
    if (startError && child.pid === undefined)
      throw new FfmpegRunError('not_started', startError.message, undefined, { cause: startError });
    if (code !== 0) {
      // Not waiting for the pump: it may be parked on an input that has nothing more to say.
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      throw new FfmpegRunError('failed', how, { code, signal, stderr: stderr.toString() });
    }
    await pump;
    if (inputFailure) throw (inputFailure as { error: unknown }).error;
    completed = true;
  } finally {
    clearTimeout(finishTimer);
    options.signal?.removeEventListener('abort', onAbort);
    if (!completed) child.kill('SIGKILL');
  }
}

/** Resolves when ffmpeg's stdin can take more, or can take nothing ever again (closed, errored, exited). */
function writable(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      child.stdin.off('drain', done);
      child.stdin.off('close', done);
      child.stdin.off('error', done);
      child.off('close', done);
      resolve();
    };
    child.stdin.on('drain', done);
    child.stdin.on('close', done);
    child.stdin.on('error', done);
    child.on('close', done);
  });
}
