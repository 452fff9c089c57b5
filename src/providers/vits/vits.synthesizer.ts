import { TtsError } from '../../common/tts-error';
import { untilAborted } from '../../common/until-aborted';
import { phonemizeClauses } from '../../espeak/espeak-speech';
import { normalizeSwahiliText } from '../../text/swahili-text.normalizer';
import { chunkText, TextChunk } from '../../text/text-chunker';
import { validateVoiceSettings, VoiceSettings } from '../../common/voice-settings';
import type { InferencePool } from './inference.pool';
import { clausesOf, joinClausePhonemes, mmsIds, piperIds } from './phoneme-ids';
import type { PiperVoiceModel, VoiceModel } from './voice-models';
import { toVitsScales } from './vits-scales';

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
const unlessAborted = <T>(work: Promise<T>, signal: AbortSignal): Promise<T> => untilAborted(work, signal, abortError);

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

export interface VitsSynthesisInput {
  text: string;
  settings: Partial<VoiceSettings>;
}

/**
 * The first chunk's ids, then the rest's. The first chunk is phonemized on its own so its ONNX run starts
 * without waiting for eSpeak to get through the whole text; the rest is phonemized while it runs.
 */
async function prepareHeadFirst(
  voice: VoiceModel,
  text: string,
  signal: AbortSignal,
): Promise<{ head: PreparedChunk[]; rest: Promise<PreparedChunk[]> }> {
  const chunks = chunkText(normalizeSwahiliText(text));
  const head = await prepare(voice, chunks.slice(0, 1), signal);
  const rest = prepare(voice, chunks.slice(1), signal);
  rest.catch(() => undefined); // awaited below; must not go unhandled if the caller stops first
  if (head.length === 0) return { head: await rest, rest: Promise.resolve([]) };
  return { head, rest };
}

/**
 * Text → normalised chunks → ids (eSpeak in a worker thread for Piper) → ONNX runs in worker threads,
 * yielded in order as 16-bit samples (native byte order), each chunk's speech followed by the pause after
 * it, as soon as it is ready. The worker converts the model's floats and leaves room for the pause in the
 * same array, so nothing is copied or converted on the event loop. Two chunks are in flight at once, so
 * the threads stay busy while the consumer sends the previous one. The first chunk starts as soon as its
 * own ids are ready (time to first audio does not grow with the text). When the consumer stops (or
 * `signal` aborts), chunks not started yet are dropped from the pool.
 */
export async function* speakWithVoice(
  voice: VoiceModel,
  input: VitsSynthesisInput,
  pool: InferencePool,
  signal: AbortSignal,
): AsyncGenerator<Int16Array> {
  const settings = validateVoiceSettings(input.settings);
  const scales = toVitsScales(settings, voice.format === 'piper' ? voice.lengthScale : 1);
  const { head, rest } = await prepareHeadFirst(voice, input.text, signal);
  if (head.length === 0) throw new TtsError('invalid_request', 'text has nothing to speak (no letters or digits)', { field: 'text' });
  const prepared = [...head];
  const own = new AbortController();
  const stop = () => own.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const inFlight: Promise<Int16Array>[] = [];
  // Each chunk's array holds its speech and then the chunker's pause after it; the text's last chunk drops the pause.
  const pauses: number[] = [];
  const launch = (index: number) => {
    pauses[index] = Math.round(prepared[index].chunk.pauseAfterSeconds * voice.sampleRate);
    const task = {
      modelPath: voice.modelPath,
      modelStamp: voice.modelStamp,
      ids: prepared[index].ids,
      ...scales,
      speakerId: voice.speakerId,
    };
    const run = unlessAborted(pool.infer({ ...task, output: 'pcm16', silenceAfter: pauses[index] }, own.signal), own.signal);
    run.catch(() => undefined); // awaited in order below; a later chunk's failure must not go unhandled meanwhile
    inFlight.push(run);
  };
  let next = 0;
  let restDone = false;
  const topUp = () => {
    while (inFlight.length < prepared.length && inFlight.length < next + CHUNKS_IN_FLIGHT_PER_REQUEST) launch(inFlight.length);
  };
  // The rest joins as soon as eSpeak is done with it, without holding back the first chunk's audio.
  const restReady = rest.then((more) => {
    prepared.push(...more);
    restDone = true;
    if (!own.signal.aborted) topUp();
  });
  restReady.catch(() => undefined);
  try {
    topUp();
    for (; ; next++) {
      if (next >= prepared.length) await restReady;
      if (next >= prepared.length) break;
      topUp();
      const speech = await inFlight[next];
      // Before the rest is known, the chunker's own pause stands (0 after the text's last chunk).
      const last = restDone ? next === prepared.length - 1 : prepared[next].chunk.pauseAfterSeconds === 0;
      yield last ? speech.subarray(0, speech.length - pauses[next]) : speech;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    own.abort(new Error('vits synthesis stopped'));
  }
}
