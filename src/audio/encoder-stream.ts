import { ChildProcessWithoutNullStreams } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { TtsError } from '../common/tts-error';
import { AudioFormat, assertSampleRate, contentTypeFor } from './audio-format';
import {
  FfmpegLocation,
  StderrTail,
  encodedSampleRate,
  ffmpegEncodeArguments,
  ffmpegFailure,
  formatUnavailable,
  locateFfmpeg,
  spawnFfmpeg,
} from './ffmpeg';
import { floatToPcm16, wavHeader } from './wav';

export interface EncoderStreamSummary {
  /** Seconds of speech written. */
  durationSeconds: number;
  /** Encoded bytes emitted on `output`. */
  bytes: number;
}

/**
 * Audio encoded while it is being synthesized: `write` each chunk as the engine produces it, `end`
 * after the last. `output` emits encoded bytes as soon as the encoder has them; everything it emits,
 * concatenated, is one valid file (wav with an open-ended size, bare mp3 frames, Ogg/Opus, ADTS, FLAC).
 */
export interface EncoderStream {
  readonly format: AudioFormat;
  readonly contentType: string;
  /** The rate of the encoded stream (differs from the input only for opus and aac). */
  readonly sampleRate: number;
  /** Use with `stream.pipeline` (or watch `done`): a failed encoder destroys it with the error. */
  readonly output: Readable;
  /** Resolves once every byte has been emitted and ffmpeg (if any) has exited; rejects on failure or abort. */
  readonly done: Promise<EncoderStreamSummary>;
  write(samples: Float32Array): void;
  end(): void;
  /** Stops at once (the client went away): kills ffmpeg and destroys `output`. */
  abort(reason?: string): void;
}

export interface EncoderStreamOptions extends FfmpegLocation {
  /** After `end()`, ffmpeg must exit within this long or it is killed. Default 30 s. */
  finishTimeoutMs?: number;
  /** With no `write`/`end` for this long the stream is aborted, so a forgotten one cannot leak a process. Default 120 s. */
  idleTimeoutMs?: number;
}

/**
 * Throws `format_unavailable` at once when the format needs ffmpeg and there is none, so a face can
 * still answer with an error status instead of a truncated 200.
 */
export function createEncoderStream(sampleRate: number, format: AudioFormat, options: EncoderStreamOptions = {}): EncoderStream {
  assertSampleRate(sampleRate);
  if (format === 'wav' || format === 'pcm') return new NativeEncoderStream(sampleRate, format);
  const ffmpegPath = locateFfmpeg(options);
  if (!ffmpegPath) throw formatUnavailable(format);
  return new FfmpegEncoderStream(ffmpegPath, sampleRate, format, options);
}

/** Shared bookkeeping: the done promise, counters, and the guard against writing after the end. */
abstract class BaseEncoderStream implements EncoderStream {
  readonly output = new PassThrough();
  readonly done: Promise<EncoderStreamSummary>;
  readonly contentType: string;
  readonly sampleRate: number;
  protected samplesWritten = 0;
  protected bytesEmitted = 0;
  protected ended = false;
  protected settled = false;
  private failedWith: Error | undefined;
  private settle!: { resolve: (summary: EncoderStreamSummary) => void; reject: (error: Error) => void };

  constructor(
    protected readonly inputRate: number,
    readonly format: AudioFormat,
  ) {
    this.sampleRate = encodedSampleRate(format, inputRate);
    this.contentType = contentTypeFor(format, this.sampleRate);
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Marked handled: a caller that only pipes `output` sees the failure there instead of as an unhandled rejection.
    this.done.catch(() => undefined);
    // Same for `output`: pipeline() still receives the error; an unobserved stream must not crash the process.
    this.output.on('error', () => undefined);
    // A consumer that goes away (pipeline() destroys `output` when the response closes) stops the encoder.
    this.output.on('close', () => this.abort('the consumer closed the encoded output'));
  }

  /** Throws the stream's failure once it has failed, so a producer stops synthesizing for nobody. */
  write(samples: Float32Array): void {
    if (this.failedWith) throw this.failedWith;
    if (this.ended) throw new TtsError('internal', 'audio written to an encoder stream after end()');
    this.samplesWritten += samples.length;
    this.writePcm(floatToPcm16(samples));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.finishInput();
  }

  abstract abort(reason?: string): void;
  protected abstract writePcm(pcm: Buffer): void;
  protected abstract finishInput(): void;

  protected emitBytes(chunk: Buffer): void {
    this.bytesEmitted += chunk.length;
    this.output.write(chunk);
  }

  protected succeed(): void {
    this.settled = true;
    this.output.end();
    this.settle.resolve({ durationSeconds: this.samplesWritten / this.inputRate, bytes: this.bytesEmitted });
  }

  protected fail(error: Error): void {
    this.ended = true;
    this.settled = true;
    this.failedWith = error;
    this.output.destroy(error);
    this.settle.reject(error);
  }
}

/** wav and pcm: the header (wav) goes out immediately, then each chunk's samples as they arrive. */
class NativeEncoderStream extends BaseEncoderStream {
  constructor(inputRate: number, format: 'wav' | 'pcm') {
    super(inputRate, format);
    if (format === 'wav') this.emitBytes(wavHeader(inputRate, undefined));
  }

  abort(reason = 'encoder stream aborted'): void {
    if (!this.settled) this.fail(new TtsError('internal', reason));
  }

  protected writePcm(pcm: Buffer): void {
    this.emitBytes(pcm);
  }

  protected finishInput(): void {
    this.succeed();
  }
}

/** One long-lived ffmpeg per stream: PCM into stdin, encoded packets out of stdout as they are muxed. */
class FfmpegEncoderStream extends BaseEncoderStream {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr = new StderrTail();
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private exited = false;

  constructor(
    ffmpegPath: string,
    inputRate: number,
    format: AudioFormat,
    private readonly options: EncoderStreamOptions,
  ) {
    super(inputRate, format);
    this.child = spawnFfmpeg(ffmpegPath, ffmpegEncodeArguments(format, inputRate, true));
    this.child.stdout.on('data', (chunk: Buffer) => (this.bytesEmitted += chunk.length));
    this.child.stdout.pipe(this.output, { end: false });
    this.child.stderr.on('data', (chunk: Buffer) => this.stderr.append(chunk));
    this.child.stdin.on('error', () => undefined); // EPIPE after an early exit; the exit status says why
    this.child.on('error', (error) => this.onSpawnError(error));
    this.child.on('close', (code, signal) => this.onExit(code, signal));
    this.armTimer(this.options.idleTimeoutMs ?? 120000, 'received no audio for too long');
  }

  abort(reason = 'encoder stream aborted'): void {
    if (this.exited) return;
    this.failure ??= new TtsError('internal', reason);
    this.child.kill('SIGKILL');
  }

  protected writePcm(pcm: Buffer): void {
    this.armTimer(this.options.idleTimeoutMs ?? 120000, 'received no audio for too long');
    this.child.stdin.write(pcm);
  }

  protected finishInput(): void {
    this.armTimer(this.options.finishTimeoutMs ?? 30000, 'did not finish in time after the last chunk');
    this.child.stdin.end();
  }

  private armTimer(ms: number, why: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort(`ffmpeg (${this.format}) ${why} and was killed`), ms);
  }

  private onSpawnError(error: Error): void {
    if (this.child.pid !== undefined) {
      this.failure ??= new TtsError('internal', `ffmpeg (${this.format}): ${error.message}`, { cause: error });
      return;
    }
    // Never started (ENOENT, EACCES): no 'close' is guaranteed to follow.
    this.failure ??= formatUnavailable(this.format, error);
    this.onExit(null, null);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.timer);
    if (this.failure) this.fail(this.failure);
    else if (code !== 0) this.fail(ffmpegFailure(this.format, code, signal, this.stderr.toString()));
    else if (!this.ended) this.fail(new TtsError('internal', `ffmpeg (${this.format}) exited before the end of the audio`));
    else this.succeed();
  }
}
