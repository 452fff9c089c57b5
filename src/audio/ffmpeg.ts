import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { TtsError } from '../common/tts-error';
import { AUDIO_FORMATS, AudioFormat, audioFormatInfo } from './audio-format';

/**
 * ffmpeg and ffprobe come from the `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe` npm
 * packages (static builds, installed by `npm ci`); no system package is needed. Nothing here runs at
 * import time: a deployment without the binaries still starts and serves wav and pcm.
 */

/** Where to find the binaries; tests inject a missing path to exercise the unavailable branch. */
export interface FfmpegLocation {
  /** Absolute path of ffmpeg. Omitted: the `@ffmpeg-installer/ffmpeg` binary. */
  ffmpegPath?: string;
}

const installedPaths = new Map<string, string | undefined>();

function installerPath(packageName: string): string | undefined {
  if (!installedPaths.has(packageName)) {
    let found: string | undefined;
    try {
      // Required lazily because the installer packages throw (a string, even) when their binary is absent.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const installer = require(packageName) as { path?: unknown };
      found = typeof installer.path === 'string' ? installer.path : undefined;
    } catch {
      found = undefined;
    }
    installedPaths.set(packageName, found);
  }
  return installedPaths.get(packageName);
}

export function isExecutableFile(path: string | undefined): path is string {
  if (!path) return false;
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The ffmpeg to run, or undefined when it is missing or not executable. */
export function locateFfmpeg(location: FfmpegLocation = {}): string | undefined {
  const path = location.ffmpegPath ?? installerPath('@ffmpeg-installer/ffmpeg');
  return isExecutableFile(path) ? path : undefined;
}

/** The ffprobe to run (tests and diagnostics), or undefined when it is missing or not executable. */
export function locateFfprobe(ffprobePath?: string): string | undefined {
  const path = ffprobePath ?? installerPath('@ffprobe-installer/ffprobe');
  return isExecutableFile(path) ? path : undefined;
}

export function formatUnavailable(format: AudioFormat, cause?: unknown): TtsError {
  return new TtsError('format_unavailable', `The ${format} encoder is not available on this deployment; wav and pcm always are.`, {
    details: { format },
    cause,
  });
}

/** Rates each encoder accepts, for the formats that cannot keep the voice's own rate. */
const SUPPORTED_RATES: Partial<Record<AudioFormat, readonly number[]>> = {
  // 8-12 kHz would be MPEG 2.5, an unofficial extension some decoders refuse.
  mp3: [16000, 22050, 24000, 32000, 44100, 48000],
  opus: [8000, 12000, 16000, 24000, 48000],
  // Not below 24 kHz: ADTS cannot signal the encoder's 1,024-sample priming or the last frame's
  // padding, so players play them; at 16 kHz that is up to 128 ms of extra silence, at 24 kHz 85 ms.
  aac: [24000, 32000, 44100, 48000, 64000, 88200, 96000],
};

/** The sample rate of the encoded stream: the voice's own, or the nearest rate the encoder accepts above it. */
export function encodedSampleRate(format: AudioFormat, inputRate: number): number {
  const supported = SUPPORTED_RATES[format];
  if (!supported || supported.includes(inputRate)) return inputRate;
  return supported.find((rate) => rate >= inputRate) ?? supported[supported.length - 1];
}

/** Codec and container per format that ffmpeg encodes (mp3 is encoded in-process). */
const CODEC_ARGUMENTS: Partial<Record<AudioFormat, readonly string[]>> = {
  opus: ['-c:a', 'libopus', '-f', 'ogg'],
  aac: ['-c:a', 'aac', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
};

/** Speech-sized default bitrates, mono (kbps). */
export const DEFAULT_BITRATES_KBPS: Partial<Record<AudioFormat, number>> = { mp3: 64, opus: 32, aac: 64 };

/**
 * Arguments that read mono 16-bit little-endian PCM at `inputRate` from stdin and write `format` to
 * stdout, at the rate its codec takes. Every packet leaves as soon as it is encoded (and Ogg pages
 * every 100 ms rather than every second), at a small cost in container overhead.
 */
export function ffmpegEncodeArguments(format: AudioFormat, inputRate: number, bitrateKbps = DEFAULT_BITRATES_KBPS[format]): string[] {
  const codec = CODEC_ARGUMENTS[format];
  if (!codec) throw new Error(`${format} is not encoded by ffmpeg`);
  const input = ['-f', 's16le', '-ar', String(inputRate), '-ac', '1', '-probesize', '32', '-analyzeduration', '0', '-i', 'pipe:0'];
  const bitrate = bitrateKbps === undefined || format === 'flac' ? [] : ['-b:a', `${bitrateKbps}k`];
  const output = ['-map_metadata', '-1', '-ac', '1', '-ar', String(encodedSampleRate(format, inputRate)), ...codec, ...bitrate];
  const flushing = ['-flush_packets', '1', ...(format === 'opus' ? ['-page_duration', '100000'] : [])];
  return ['-hide_banner', '-nostats', '-loglevel', 'error', ...input, ...output, ...flushing, 'pipe:1'];
}

/** Arguments that read any audio file from stdin and write its first audio stream as mono 16-bit PCM at `sampleRate`. */
export function ffmpegDecodeArguments(sampleRate: number): string[] {
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-i',
    'pipe:0',
    '-map',
    '0:a:0',
    '-map_metadata',
    '-1',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-f',
    's16le',
    'pipe:1',
  ];
}

/** Keeps the end of ffmpeg's stderr, where the reason for a failure is. */
export class StderrTail {
  private text = '';

  constructor(private readonly limit = 4000) {}

  append(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }

  toString(): string {
    return this.text.trim();
  }
}

export function spawnFfmpeg(ffmpegPath: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
}

/** Turns how ffmpeg ended into the error a caller sees: a missing encoder is the client-visible kind. */
export function ffmpegFailure(format: AudioFormat, code: number | null, signal: NodeJS.Signals | null, stderr: string): TtsError {
  if (/unknown encoder|encoder not found|unsupported codec/i.test(stderr)) return formatUnavailable(format, new Error(stderr));
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new TtsError('internal', `ffmpeg (${format}) ${how}: ${stderr || 'no error output'}`);
}

/** Why one run of ffmpeg produced no output: it never started, exited badly, ran out of time, or was cancelled. */
export class FfmpegRunError extends Error {
  constructor(
    readonly reason: 'not_started' | 'failed' | 'timed_out' | 'aborted',
    message: string,
    readonly exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string } = { code: null, signal: null, stderr: '' },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FfmpegRunOptions {
  /** Kill ffmpeg (SIGKILL) after this long. */
  timeoutMs: number;
  /** Kill ffmpeg when this aborts; the run rejects with reason `aborted`. */
  signal?: AbortSignal;
}

/**
 * Runs ffmpeg once with `input` on stdin and resolves with everything it wrote to stdout. Settles only
 * after the process has exited (so it is reaped, never left a zombie); a run past its time or cancelled
 * is killed with SIGKILL. Rejects with an FfmpegRunError; callers turn it into their own TtsError.
 */
export function runFfmpeg(ffmpegPath: string, args: string[], input: Buffer, options: FfmpegRunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new FfmpegRunError('aborted', 'cancelled before ffmpeg started'));
    const child = spawnFfmpeg(ffmpegPath, args);
    const stdout: Buffer[] = [];
    const stderr = new StderrTail();
    let failure: FfmpegRunError | undefined;
    const kill = (error: FfmpegRunError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => kill(new FfmpegRunError('timed_out', `did not finish within ${options.timeoutMs} ms and was killed`)),
      options.timeoutMs,
    );
    const onAbort = () => kill(new FfmpegRunError('aborted', 'cancelled; ffmpeg was killed'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const exit = { code, signal, stderr: stderr.toString() };
      if (failure) reject(failure);
      else if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new FfmpegRunError('failed', signal ? `was killed by ${signal}` : `exited with code ${code}`, exit));
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.append(chunk));
    // EPIPE when ffmpeg exits before reading all input; its exit status and stderr say why.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      if (child.pid !== undefined) {
        failure ??= new FfmpegRunError('failed', error.message, undefined, { cause: error });
        return;
      }
      // Never started (ENOENT, EACCES): no 'close' is guaranteed to follow.
      failure ??= new FfmpegRunError('not_started', error.message, undefined, { cause: error });
      finish(null, null);
    });
    child.on('close', finish);
    child.stdin.end(input);
  });
}

/** An encoder run's failure as the error a client sees: a missing binary or encoder is `format_unavailable`. */
export function encoderFailure(format: AudioFormat, error: unknown): TtsError {
  if (!(error instanceof FfmpegRunError)) return new TtsError('internal', `ffmpeg (${format}) failed`, { cause: error });
  switch (error.reason) {
    case 'not_started':
      return formatUnavailable(format, error);
    case 'failed':
      return error.exit.code === null && error.exit.signal === null
        ? new TtsError('internal', `ffmpeg (${format}): ${error.message}`, { cause: error })
        : ffmpegFailure(format, error.exit.code, error.exit.signal, error.exit.stderr);
    case 'timed_out':
    case 'aborted':
      return new TtsError('internal', `ffmpeg (${format}) ${error.message}`, { cause: error });
  }
}

/** Runs one encode to completion: `format`'s errors, as `encoderFailure` maps them. */
export function runEncoder(ffmpegPath: string, format: AudioFormat, args: string[], input: Buffer, timeoutMs: number): Promise<Buffer> {
  return runFfmpeg(ffmpegPath, args, input, { timeoutMs }).catch((error: unknown) => {
    throw encoderFailure(format, error);
  });
}

const PROBE_TIMEOUT_MS = 15000;
const REPROBE_AFTER_MS = 60000;
const probes = new Map<string, Promise<ReadonlySet<AudioFormat>>>();

/**
 * The formats this deployment can produce. Each ffmpeg format is proven by encoding 100 ms of silence
 * once per binary (the result is cached), so a build without an encoder is caught before a client
 * asks for it, not halfway through a response.
 */
export function availableFormats(location: FfmpegLocation = {}): Promise<ReadonlySet<AudioFormat>> {
  const native = AUDIO_FORMATS.filter((format) => !audioFormatInfo(format).needsFfmpeg);
  const ffmpegPath = locateFfmpeg(location);
  if (!ffmpegPath) return Promise.resolve(new Set(native));
  let probe = probes.get(ffmpegPath);
  if (!probe) {
    probe = probeEncoders(ffmpegPath).then((encoded) => {
      // A probe can fail for a passing reason (a machine under load); try the missing ones again later.
      if (encoded.length < AUDIO_FORMATS.length - native.length) setTimeout(() => probes.delete(ffmpegPath), REPROBE_AFTER_MS).unref();
      return new Set([...native, ...encoded]);
    });
    probes.set(ffmpegPath, probe);
  }
  return probe;
}

async function probeEncoders(ffmpegPath: string): Promise<AudioFormat[]> {
  const silence = Buffer.alloc(1600 * 2);
  const candidates = AUDIO_FORMATS.filter((format) => audioFormatInfo(format).needsFfmpeg);
  const results = await Promise.all(
    candidates.map((format) =>
      runEncoder(ffmpegPath, format, ffmpegEncodeArguments(format, 16000), silence, PROBE_TIMEOUT_MS).then(
        (bytes) => bytes.length > 0,
        () => false,
      ),
    ),
  );
  return candidates.filter((_, index) => results[index]);
}
