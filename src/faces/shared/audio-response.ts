import type { Response } from 'express';
import type { TtsError } from '../../common/tts-error';
import { toTtsError } from '../../common/errors/to-tts-error';
import type { SpeechStream } from '../../synthesis/speech.types';

/** The client went away while audio was being written. */
class ClientGone extends Error {}

/** Writes a chunk, waiting for the socket to drain when it is full; throws ClientGone when the client left. */
async function write(response: Response, chunk: Buffer): Promise<void> {
  if (response.destroyed) throw new ClientGone();
  if (response.write(chunk)) return;
  await drainedOrClosed(response);
  if (response.destroyed) throw new ClientGone();
}

/** Resolves on the socket's next drain or close, leaving no listener behind (a long stream waits many times). */
function drainedOrClosed(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Sends speech as chunked audio while it is produced. Nothing is written until the first chunk is
 * ready, so a failure before it is still a clean error in the face's envelope (thrown). A failure after
 * it is thrown too: the error writer sees the headers are out and ends the response without its
 * terminating chunk, which HTTP clients report as a failed transfer (and the failure is logged and
 * shown to operators like any other). The Content-Length is sent when the length is known up front.
 */
export async function sendAudioStream(response: Response, speech: SpeechStream, headers: Record<string, string>): Promise<void> {
  const chunks = speech.chunks[Symbol.asyncIterator]();
  const first = await chunks.next();
  response.writeHead(200, {
    ...headers,
    'content-type': speech.contentType,
    ...(speech.byteLength !== undefined ? { 'content-length': String(speech.byteLength) } : {}),
  });
  let ended = first.done === true;
  try {
    if (!first.done) {
      await write(response, first.value);
      speech.markDelivered();
    }
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) await write(response, next.value);
    ended = true;
    response.end();
  } catch (error) {
    if (error instanceof ClientGone) return;
    throw error;
  } finally {
    if (!ended) await chunks.return?.(undefined);
  }
}

/** Sends a whole file with its length (a WAV whose sizes had to be known before its header went out). */
export function sendAudioFile(response: Response, bytes: Buffer, contentType: string, headers: Record<string, string>): void {
  response.writeHead(200, { ...headers, 'content-type': contentType, 'content-length': String(bytes.length) });
  response.end(bytes);
}

/** An SSE writer: one `data:` line per event. */
export interface SseEvents {
  /** The event for a piece of encoded audio. */
  delta(audio: Buffer): Record<string, unknown>;
  /** The last event of a complete stream. */
  done(): Record<string, unknown>;
  /** The event that reports a failure after the stream started. */
  error(error: TtsError): Record<string, unknown>;
}

/**
 * Sends speech as Server-Sent Events while it is produced. Nothing is written before the first chunk
 * (a failure then is a clean error, thrown); a failure after it becomes an error event, the stream
 * ends, and the failure is thrown on for the error writer to log (the response is already complete).
 */
export async function sendSseStream(
  response: Response,
  speech: SpeechStream,
  headers: Record<string, string>,
  events: SseEvents,
): Promise<void> {
  const chunks = speech.chunks[Symbol.asyncIterator]();
  const first = await chunks.next();
  response.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  const event = (data: Record<string, unknown>) => write(response, Buffer.from(`data: ${JSON.stringify(data)}\n\n`));
  let ended = first.done === true;
  try {
    if (!first.done) {
      await event(events.delta(first.value));
      speech.markDelivered();
    }
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) await event(events.delta(next.value));
    ended = true;
    await event(events.done());
    response.end();
  } catch (error) {
    if (error instanceof ClientGone) return;
    // Ended here, so the billing sees it end (a failed write before the first event delivered nothing).
    await chunks.return?.(undefined);
    ended = true;
    await event(events.error(toTtsError(error))).catch(() => undefined);
    response.end();
    throw error;
  } finally {
    if (!ended) await chunks.return?.(undefined);
  }
}
