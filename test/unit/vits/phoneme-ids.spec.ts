import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { phonemizeClauses } from '../../../src/espeak/espeak-speech';
import { clausesOf, joinClausePhonemes, mmsIds, parseMmsVocabulary, PhonemeIdMap, piperIds } from '../../../src/providers/vits/phoneme-ids';

const testVoiceConfig = JSON.parse(readFileSync(join(__dirname, '../../fixtures/voices/sauti-test-v1.onnx.json'), 'utf8')) as {
  phoneme_id_map: PhonemeIdMap;
};
const map = testVoiceConfig.phoneme_id_map;

/** What Piper would feed the model, computed independently from eSpeak's own output. */
function expectedIds(ipa: string, idMap: PhonemeIdMap): number[] {
  const ids = [idMap['^'][0], idMap['_'][0]];
  for (const symbol of Array.from(ipa.normalize('NFD'))) if (idMap[symbol]) ids.push(idMap[symbol][0], idMap['_'][0]);
  return [...ids, idMap['$'][0]];
}

/**
 * eSpeak NG's own IPA through the shared runtime's `phonemize`, one process per sentence. eSpeak is an
 * ES module, which jest's VM cannot import, so this (and the eSpeak sessions below) runs the compiled
 * code from dist/: `npm run build` first (`npm run check` does).
 */
function espeakOwnIpa(sentence: string): string {
  const runtime = resolve(__dirname, '../../../dist/src/espeak/espeak-runtime.js');
  const script = `require(${JSON.stringify(runtime)}).phonemize(process.argv[1], 'sw').then((lines) => process.stdout.write(JSON.stringify(lines)))`;
  const lines = JSON.parse(execFileSync(process.execPath, ['-e', script, sentence], { encoding: 'utf8' })) as string[];
  return lines.join(' ');
}

describe('Piper phoneme ids', () => {
  const sentences = [
    'Habari za asubuhi',
    'Unafanya kazi vizuri',
    'Ninapenda chai ya tangawizi',
    'Watoto wanacheza mpira uwanjani',
    'Mvua kubwa imenyesha jana usiku',
  ];

  it("matches eSpeak NG's own IPA for several Swahili sentences, mapped through the voice's phoneme map", async () => {
    const batched = await phonemizeClauses(sentences, 'sw');
    expect(batched).toHaveLength(sentences.length);
    for (const [index, sentence] of sentences.entries()) {
      const own = espeakOwnIpa(sentence);
      // The shared runtime asks for ZWJ-separated IPA; Piper voices were trained on plain --ipa output.
      const plain = own.replace(/\u200d/g, '');
      expect(batched[index]).toBe(plain);
      const { ids, unmapped } = piperIds(batched[index], map);
      expect(unmapped).toEqual([]);
      expect(ids).toEqual(expectedIds(plain, map));
    }
  });

  it('keeps one string per clause when eSpeak splits or drops one', async () => {
    const [habari, rafikiYangu, karibu] = await phonemizeClauses(['habari', 'rafiki yangu', 'karibu'], 'sw');
    // A line break inside a clause is a space to eSpeak; "-" has nothing to say.
    expect(await phonemizeClauses(['habari', 'rafiki\n\nyangu', 'karibu'], 'sw')).toEqual([habari, rafikiYangu, karibu]);
    expect(await phonemizeClauses(['habari', '-', 'karibu'], 'sw')).toEqual([habari, '', karibu]);
  });

  it('frames ids as ^ _ p _ p _ … $ and keeps clause punctuation', () => {
    const { ids } = piperIds('ab,', map);
    expect(ids).toEqual([map['^'][0], map['_'][0], map.a[0], map['_'][0], map.b[0], map['_'][0], map[','][0], map['_'][0], map.$[0]]);
    const clauses = clausesOf('Habari, rafiki yangu.');
    expect(clauses).toEqual([
      { words: 'Habari', punctuation: ',' },
      { words: 'rafiki yangu', punctuation: '.' },
    ]);
    expect(joinClausePhonemes(clauses, ['habˈari', 'rafˈiki jˈaŋɡu'])).toBe('habˈari, rafˈiki jˈaŋɡu.');
  });

  it('drops symbols missing from the map instead of failing', () => {
    const partial: PhonemeIdMap = { ...map };
    delete partial['ˈ'];
    delete partial['ɡ'];
    const { ids, unmapped } = piperIds('rafˈiki jˈaŋɡu ☃', partial);
    expect(unmapped).toEqual(['ˈ', 'ˈ', 'ɡ', '☃']);
    expect(ids).toEqual(expectedIds('rafiki jaŋu ', partial));
  });
});

describe('MMS ids', () => {
  it('reads sherpa-onnx tokens.txt (including the space token) and intersperses the blank id', () => {
    const vocabulary = parseMmsVocabulary(['_ 0', '  1', 'a 2', 'b 3', 'h 4', 'r 5', 'i 6'].join('\n'), 'tokens.txt');
    expect(vocabulary.get(' ')).toBe(1);
    const { ids, unmapped } = mmsIds('Habari!', vocabulary);
    expect(ids).toEqual([0, 4, 0, 2, 0, 3, 0, 2, 0, 5, 0, 6, 0]);
    expect(unmapped).toEqual(['!']);
  });

  it('reads a Hugging Face vocab.json', () => {
    expect(parseMmsVocabulary('{"a": 3, " ": 7}', 'vocab.json')).toEqual(
      new Map([
        ['a', 3],
        [' ', 7],
      ]),
    );
  });
});
