import { joinSentences, SentenceAudio } from '../../../src/synthesis/sentence-synthesis';
import { sentencesAsPcm } from '../../../src/synthesis/timed-audio';
import type { TimedSegment } from '../../../src/synthesis/speech.types';
import { floatToPcm16 } from '../../../src/audio/wav';

const RATE = 16000;

function sentence(index: number, text: string, samples: number): SentenceAudio {
  return { index, text, samples: new Float32Array(samples).fill(0.1 * (index + 1)), provider: 'fake', voice: 'v', attempts: [] };
}

async function* spoken(sentences: SentenceAudio[]): AsyncGenerator<SentenceAudio> {
  yield* sentences;
}

/** A timestamped job (joinSentences, whole) and a timestamped stream (sentencesAsPcm) share a cache key: they must be the same audio. */
describe('sentencesAsPcm: the same samples and spans as joinSentences', () => {
  it.each([
    ['three sentences', [sentence(0, 'Moja.', 800), sentence(1, 'Mbili.', 1200), sentence(2, 'Tatu.', 400)]],
    ['a first sentence that came back empty', [sentence(0, '…', 0), sentence(1, 'Mbili.', 1200), sentence(2, 'Tatu.', 400)]],
    ['an empty one in the middle', [sentence(0, 'Moja.', 800), sentence(1, '…', 0), sentence(2, 'Tatu.', 400)]],
  ])('%s', async (_case, sentences) => {
    const spans: TimedSegment[] = [];
    const parts: Buffer[] = [];
    for await (const part of sentencesAsPcm(spoken(sentences), RATE, (span) => spans.push(span))) parts.push(part);
    const whole = joinSentences(sentences, RATE);
    expect(Buffer.concat(parts).equals(floatToPcm16(whole.samples))).toBe(true);
    expect(spans).toEqual(whole.segments);
  });
});
