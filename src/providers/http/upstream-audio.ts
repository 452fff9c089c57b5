import { containerOfMediaType, sniffContainer, AudioContainer } from '../../audio/container-sniffing';
import type { AudioFormat } from '../../audio/audio-format';
import type { AudioDescriptor, AudioStream, StreamFormat } from '../../audio/audio-stream';
import { readWavLayout, wavDescriptor } from '../../audio/wav';
import type { StreamingUpstreamResponse } from './upstream-http.client';
import { UpstreamError } from './upstream-error';

/** What a provider asked its upstream to answer in. */
export interface UpstreamAsk {
  format: AudioFormat;
  /** The rate asked for (raw PCM comes at exactly this rate; for files it is informative). */
  sampleRate: number;
  bitrateKbps?: number;
}

/** Enough of an answer to tell a file by its magic number (and an Ogg stream's codec by its first header). */
const SNIFF_BYTES = 36;
/** A WAV header longer than this (metadata chunks before the samples) is not waited for. */
const MAX_WAV_HEADER_BYTES = 64 * 1024;

/**
 * An upstream's 2xx answer as an audio stream, once its first bytes are in: they decide what it is,
 * whatever was asked (an upstream asked for WAV may still send mp3). Raw PCM has no magic number and
 * can look like anything, so an answer to a PCM request counts as a file only when its Content-Type
 * names one too. The bytes already read lead the stream; the rest follows as it arrives.
 */
export async function upstreamAudio(provider: string, response: StreamingUpstreamResponse, asked: UpstreamAsk): Promise<AudioStream> {
  const iterator = response.body[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  const readMore = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done) ended = true;
    else head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    return !next.done;
  };
  try {
    while (head.length < SNIFF_BYTES && (await readMore()));
    if (head.length === 0) throw new UpstreamError('provider_unavailable', `${provider} returned no audio`, true, { provider });
    const format = streamFormatOf(provider, head, asked, response.headers['content-type']);
    let descriptor: AudioDescriptor = { format, sampleRate: asked.sampleRate, channels: 1 };
    if (format === 'wav') {
      let layout = readWavOrThrow(provider, head);
      while (layout === 'incomplete' && head.length < MAX_WAV_HEADER_BYTES && (await readMore())) layout = readWavOrThrow(provider, head);
      if (layout === 'incomplete') throw unreadable(provider, 'a WAV file without a data chunk');
      descriptor = { ...wavDescriptor(layout.format), sizesStated: layout.dataBytes !== undefined };
    }
    return {
      descriptor,
      ...(response.contentLength !== undefined ? { byteLength: response.contentLength } : {}),
      chunks: withHead(head, ended ? undefined : iterator),
    };
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
}

async function* withHead(head: Buffer, rest: AsyncIterator<Buffer> | undefined): AsyncGenerator<Buffer> {
  try {
    yield head;
    if (!rest) return;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    await rest?.return?.();
  }
}

/** The container each compressed answer format comes in, as a stream format. */
const FORMAT_OF_CONTAINER: Record<Exclude<AudioContainer, 'ogg'>, StreamFormat> = {
  wav: 'wav',
  mp3: 'mp3',
  aac: 'aac',
  flac: 'flac',
  webm: 'webm',
  mp4: 'mp4',
};

function streamFormatOf(provider: string, head: Buffer, asked: UpstreamAsk, contentType: string | undefined): StreamFormat {
  // A 200 whose body is a document (an error page, a JSON error) is not audio, whatever was asked.
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  if (mediaType && NOT_AUDIO.some((prefix) => mediaType.startsWith(prefix)))
    throw unreadable(provider, `the answer is ${mediaType}, not audio`);
  const sniffed = sniffContainer(head);
  if (asked.format === 'pcm') {
    const file = containerOfMediaType(contentType) && sniffed;
    return file ? formatOfContainer(file, head) : 'pcm';
  }
  if (sniffed) return formatOfContainer(sniffed, head);
  if (asked.format === 'wav') throw unreadable(provider, 'not a readable WAV file (no RIFF/WAVE header)');
  if (isText(head)) throw unreadable(provider, `text, not ${asked.format} audio`);
  // mp3 without an ID3 tag whose first frame header is unusual, and the like: trust what was asked.
  return asked.format;
}

/** Media types that are documents: an upstream answering one of these with 200 sent no audio. */
const NOT_AUDIO = ['text/', 'application/json', 'application/problem+json', 'application/xml', 'application/xhtml'];

/** Printable ASCII only (a JSON or HTML body without its Content-Type): no compressed file starts like that. */
function isText(head: Buffer): boolean {
  const start = head.subarray(0, 16);
  return start.length > 0 && start.every((byte) => (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d);
}

/** Ogg carries Opus or Vorbis: its first page names the codec. */
function formatOfContainer(container: AudioContainer, head: Buffer): StreamFormat {
  if (container !== 'ogg') return FORMAT_OF_CONTAINER[container];
  return head.includes('OpusHead') ? 'opus' : 'ogg';
}

function readWavOrThrow(provider: string, head: Buffer): ReturnType<typeof readWavLayout> {
  try {
    return readWavLayout(head);
  } catch (error) {
    throw unreadable(provider, `not a readable WAV file (${(error as Error).message})`, error);
  }
}

export function unreadable(provider: string, detail: string, cause?: unknown): UpstreamError {
  return new UpstreamError('provider_unavailable', `${provider} sent audio that cannot be read: ${detail}`, false, { provider, cause });
}

/** Speed knobs upstreams accept, clamped to their documented range. */
export function clampSpeed(speakingRate: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, speakingRate));
}
