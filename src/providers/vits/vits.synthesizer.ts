import { TtsError } from '../../common/tts-error';
import { phonemizeClauses } from '../../espeak/espeak-speech';
import { normalizeSwahiliText } from '../../text/swahili-text.normalizer';
import { chunkText, TextChunk } from '../../text/text-chunker';
import type { AudioSegment, SynthesizedAudio, VoiceSettings } from '../tts-provider';
import type { InferencePool } from './inference.pool';
import { clausesOf, joinClausePhonemes, mmsIds, piperIds } from './phoneme-ids';
import type { PiperVoiceModel, VoiceModel } from './voice-models';
import { toVitsScales, validateVoiceSettings } from './voice-settings.validation';

/** Chunks of one request in flight at once: enough to use two threads, not enough to starve other requests. */
const CHUNKS_IN_FLIGHT_PER_REQUEST = 2;

/**
 * Throws the reason for an aborted signal as a TtsError: `provider_timeout` for a timeout, the
 * caller's own TtsError when it gave one, otherwise `provider_unavailable` ("cancelled").
 */
export function abortError(signal: AbortSignal): TtsError {
  const reason: unknown = signal.reason;
  if (reason instanceof TtsError) return reason;
  if ((reason as { name?: unknown } | undefined)?.name === 'TimeoutError')
    return new TtsError('provider_timeout', 'vits synthesis timed out', { cause: reason });
  return new TtsError('provider_unavailable', 'vits synthesis was cancelled', { cause: reason });
}

/**
 * Settles with `work` unless `signal` aborts first, so the caller is released at once with a
 * TtsError. The pool drops the request's tasks still waiting for a thread; one already running
 * finishes in the background (at most one chunk of ~250 characters).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface PreparedChunk {
  chunk: TextChunk;
  ids: number[];
}

async function piperChunkIds(voice: PiperVoiceModel, chunks: TextChunk[], signal: AbortSignal): Promise<PreparedChunk[]> {
  const clauses = chunks.map((chunk) => clausesOf(chunk.text));
  const phonemes = await unlessAborted(
    phonemizeClauses(
      clauses.flat().map((c) => c.words),
      voice.espeakVoice,
      signal,
    ),
    signal,
  );
  let next = 0;
  return chunks.map((chunk, index) => {
    const own = phonemes.slice(next, next + clauses[index].length);
    next += clauses[index].length;
    return { chunk, ids: piperIds(joinClausePhonemes(clauses[index], own), voice.phonemeIdMap).ids };
  });
}

/** Normalised, chunked text with each chunk's model ids (Piper voices: IPA from eSpeak's sessions). */
export async function prepareText(voice: VoiceModel, text: string, signal: AbortSignal): Promise<PreparedChunk[]> {
  return prepare(voice, chunkText(normalizeSwahiliText(text)), signal);
}

async function prepare(voice: VoiceModel, chunks: TextChunk[], signal: AbortSignal): Promise<PreparedChunk[]> {
  const prepared =
    voice.format === 'piper'
      ? await piperChunkIds(voice, chunks, signal)
      : chunks.map((chunk) => ({ chunk, ids: mmsIds(chunk.text, voice.vocabulary).ids }));
  // BOS/EOS/pad alone (or MMS blanks alone) carry nothing to say.
  return prepared.filter((p) => p.ids.length > 3);
}

async function mapWithLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    // Once one item fails the call fails: the other lanes stop taking items.
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index]);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(lanes);
  return results;
}

function concatenate(prepared: PreparedChunk[], audio: Float32Array[], sampleRate: number): SynthesizedAudio {
  const pauses = prepared.map((p, i) => (i === prepared.length - 1 ? 0 : Math.round(p.chunk.pauseAfterSeconds * sampleRate)));
  const total = audio.reduce((sum, a, i) => sum + a.length + pauses[i], 0);
  const samples = new Float32Array(total);
  const segments: AudioSegment[] = [];
  let at = 0;
  audio.forEach((chunkAudio, i) => {
    samples.set(chunkAudio, at);
    segments.push({ text: prepared[i].chunk.text, startSample: at, endSample: at + chunkAudio.length });
    at += chunkAudio.length + pauses[i];
  });
  return { samples, sampleRate, segments };
}

export interface VitsSynthesisInput {
  text: string;
  settings: Partial<VoiceSettings>;
}

/** Text → normalised chunks → ids (eSpeak in a worker thread for Piper) → ONNX runs in worker threads → one buffer. */
export async function synthesizeWithVoice(
  voice: VoiceModel,
  input: VitsSynthesisInput,
  pool: InferencePool,
  signal: AbortSignal,
): Promise<SynthesizedAudio> {
  const settings = validateVoiceSettings(input.settings);
  const scales = toVitsScales(settings, voice.format === 'piper' ? voice.lengthScale : 1);
  const prepared = await prepareText(voice, input.text, signal);
  if (prepared.length === 0) throw new TtsError('invalid_request', 'text has nothing to speak (no letters or digits)', { field: 'text' });
  const audio = await mapWithLimit(prepared, CHUNKS_IN_FLIGHT_PER_REQUEST, (p) => {
    if (signal.aborted) return Promise.reject(abortError(signal));
    return unlessAborted(pool.infer({ modelPath: voice.modelPath, ids: p.ids, ...scales, speakerId: voice.speakerId }, signal), signal);
  });
  return concatenate(prepared, audio, voice.sampleRate);
}
