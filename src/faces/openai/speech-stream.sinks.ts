import { finished, pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { EncoderStream } from '../../audio/encoder-stream';
import type { TtsError } from '../../common/tts-error';
import { openAiErrorClass } from './openai-error.envelope';

/** Where a sentence-by-sentence synthesis goes: raw chunked audio or Server-Sent Events. */
export interface SpeechStreamSink {
  /** Sends the status and headers; called once the first sentence is synthesized, so a failure before it is still a clean error. */
  open(headers: Record<string, string>): void;
  /** Waits until every encoded byte has gone out, then ends the response. */
  finish(usage: { characters: number }): Promise<void>;
  /** The response has started: end it so the client can tell it is incomplete. */
  fail(error: TtsError): void;
}

/** `stream_format: "audio"`: the encoder's bytes, chunked, as it produces them (one valid file end to end). */
export class AudioSink implements SpeechStreamSink {
  private piped: Promise<void> | undefined;

  constructor(
    private readonly response: Response,
    private readonly encoder: EncoderStream,
  ) {}

  open(headers: Record<string, string>): void {
    this.response.writeHead(200, { ...headers, 'content-type': this.encoder.contentType, 'cache-control': 'no-store' });
    // pipeline() destroys the encoder's output when the client goes away, which stops the encoder.
    this.piped = pipeline(this.encoder.output, this.response);
    this.piped.catch(() => undefined);
  }

  async finish(): Promise<void> {
    await this.piped;
  }

  fail(): void {
    // A truncated body without its terminating chunk: HTTP clients report the transfer as failed.
    this.response.destroy();
  }
}

/**
 * `stream_format: "sse"`: OpenAI's events, `speech.audio.delta` (base64 of the next encoded bytes;
 * concatenated they are one file) and a final `speech.audio.done` with usage. Bytes the encoder
 * emits together are sent as one delta.
 */
export class SseSink implements SpeechStreamSink {
  private pending: Buffer[] = [];
  private flushScheduled = false;

  constructor(
    private readonly response: Response,
    private readonly encoder: EncoderStream,
  ) {}

  open(headers: Record<string, string>): void {
    this.response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    this.encoder.output.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  async finish(usage: { characters: number }): Promise<void> {
    await finished(this.encoder.output);
    await new Promise((resolve) => setImmediate(resolve));
    this.flush();
    this.event({ type: 'speech.audio.done', usage: { input_tokens: usage.characters, output_tokens: 0, total_tokens: usage.characters } });
    this.response.end();
  }

  fail(error: TtsError): void {
    if (this.response.destroyed) return;
    const { type } = openAiErrorClass(error);
    this.event({ type: 'error', error: { message: error.message, type, param: error.field ?? null, code: error.code } });
    this.response.end();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.response.destroyed) return;
    const audio = Buffer.concat(this.pending).toString('base64');
    this.pending = [];
    this.event({ type: 'speech.audio.delta', audio });
  }

  private event(data: Record<string, unknown>): void {
    if (!this.response.destroyed) this.response.write(`data: ${JSON.stringify(data)}\n\n`);
  }
}
