import { SENTENCE_PAUSE_SECONDS } from '../text/text-chunker';
import { floatToPcm16 } from '../audio/wav';
import type { SentenceAudio } from './sentence-synthesis';
import type { TimedSegment } from './speech.types';

/** A piece of encoded audio and the sentences whose audio was complete when it came out. */
export interface TimedPiece {
  audio: Buffer;
  segments: TimedSegment[];
}

/**
 * Sentences as they are spoken, as one stream of 16-bit PCM at `sampleRate` with a sentence pause
 * between them: each sentence's span is exact to the sample, and is handed to `onSpan` when its
 * samples are yielded.
 */
export async function* sentencesAsPcm(
  sentences: AsyncIterable<SentenceAudio>,
  sampleRate: number,
  onSpan: (segment: TimedSegment) => void,
): AsyncGenerator<Buffer> {
  const pause = Math.round(SENTENCE_PAUSE_SECONDS * sampleRate);
  let at = 0;
  let first = true;
  for await (const sentence of sentences) {
    // A pause before every sentence but the first, even after one that came back empty: the samples and
    // spans are then joinSentences' own, and a timestamped job's file and this stream share a cache key.
    if (!first) {
      yield Buffer.alloc(pause * 2);
      at += pause;
    }
    first = false;
    onSpan({ text: sentence.text, startSeconds: at / sampleRate, endSeconds: (at + sentence.samples.length) / sampleRate });
    at += sentence.samples.length;
    if (sentence.samples.length > 0) yield floatToPcm16(sentence.samples);
  }
}

/**
 * The encoded stream with each chunk paired with the spans completed since the previous chunk. An
 * encoder may hold audio back (mp3 frames, Ogg pages), so a span can come with the chunk before its
 * audio: its times are absolute, so a client places it right anyway. Spans left when the audio ends
 * come with an empty last piece.
 */
export async function* pairWithSpans(encoded: AsyncIterable<Buffer>, completed: TimedSegment[]): AsyncGenerator<TimedPiece> {
  for await (const audio of encoded) yield { audio, segments: completed.splice(0) };
  if (completed.length > 0) yield { audio: Buffer.alloc(0), segments: completed.splice(0) };
}
