import { digitsToSwahili, integerToSwahili, numeralToSwahili } from '../../../src/text/swahili-numbers';
import { foldWhitespace, normalizeSwahiliText } from '../../../src/text/swahili-text.normalizer';
import { chunkText, CLAUSE_PAUSE_SECONDS, SENTENCE_PAUSE_SECONDS, splitClauses, splitSentences } from '../../../src/text/text-chunker';

describe('Swahili numbers', () => {
  it.each([
    [0, 'sifuri'],
    [7, 'saba'],
    [10, 'kumi'],
    [11, 'kumi na moja'],
    [22, 'ishirini na mbili'],
    [90, 'tisini'],
    [100, 'mia moja'],
    [150, 'mia moja na hamsini'],
    [999, 'mia tisa na tisini na tisa'],
    [1000, 'elfu moja'],
    [2026, 'elfu mbili na ishirini na sita'],
    [1234, 'elfu moja mia mbili na thelathini na nne'],
    [5000, 'elfu tano'],
    [12500, 'elfu kumi na mbili na mia tano'],
    [100000, 'laki moja'],
    [250000, 'laki mbili na elfu hamsini'],
    [1000000, 'milioni moja'],
    [3500000, 'milioni tatu na laki tano'],
    [2000000000, 'bilioni mbili'],
  ])('%i → %s', (n, words) => {
    expect(integerToSwahili(n)).toBe(words);
  });

  it('reads decimals after "nukta", negatives with "hasi", and grouped thousands', () => {
    expect(numeralToSwahili('3.14')).toBe('tatu nukta moja nne');
    expect(numeralToSwahili('-5')).toBe('hasi tano');
    expect(numeralToSwahili('5,000')).toBe('elfu tano');
    expect(numeralToSwahili('1,250.50')).toBe('elfu moja mia mbili na hamsini nukta tano sifuri');
  });

  it('reads leading-zero numbers and huge numbers digit by digit', () => {
    expect(numeralToSwahili('0712')).toBe('sifuri saba moja mbili');
    expect(integerToSwahili(1_000_000_000_000)).toBe(digitsToSwahili('1000000000000'));
  });
});

describe('normalizeSwahiliText', () => {
  it('applies NFC and folds whitespace', () => {
    expect(foldWhitespace('  Habari\n\n za\t asubuhi  ')).toBe('Habari za asubuhi');
    expect(foldWhitespace('Cafe\u0301')).toBe('Café');
  });

  it.each([
    ['Nina miaka 22.', 'Nina miaka ishirini na mbili.'],
    ['Mwaka 2026 utakuwa mzuri.', 'Mwaka elfu mbili na ishirini na sita utakuwa mzuri.'],
    ['Bei ni TSh 5,000.', 'Bei ni shilingi elfu tano.'],
    ['Bei ni KSh200 tu.', 'Bei ni shilingi mia mbili tu.'],
    ['Nililipa 5,000/= jana.', 'Nililipa shilingi elfu tano jana.'],
    ['Kodi ni 18%.', 'Kodi ni asilimia kumi na nane.'],
    ['Ni 2.5% tu.', 'Ni asilimia mbili nukta tano tu.'],
    ['Gharama ni $30.', 'Gharama ni dola thelathini.'],
    ['Mama & Baba', 'Mama na Baba'],
    ['Watu 3, 4 na 5!', 'Watu tatu, nne na tano!'],
  ])('%s → %s', (text, expected) => {
    expect(normalizeSwahiliText(text)).toBe(expected);
  });
});

describe('text chunking', () => {
  it('splits sentences and clauses keeping their punctuation', () => {
    expect(splitSentences('Habari yako? Nzuri sana! Asante.')).toEqual(['Habari yako?', 'Nzuri sana!', 'Asante.']);
    expect(splitClauses('Habari, rafiki; karibu: sana.')).toEqual(['Habari,', 'rafiki;', 'karibu:', 'sana.']);
  });

  it('keeps short sentences whole with a sentence pause between them and none at the end', () => {
    const chunks = chunkText('Habari za asubuhi. Unafanya kazi vizuri.');
    expect(chunks).toEqual([
      { text: 'Habari za asubuhi.', pauseAfterSeconds: SENTENCE_PAUSE_SECONDS },
      { text: 'Unafanya kazi vizuri.', pauseAfterSeconds: 0 },
    ]);
  });

  it('cuts long sentences at clause punctuation, then at spaces, never over the limit', () => {
    const clause = 'ninapenda chai ya tangawizi na maziwa mengi sana kila asubuhi';
    const sentence = `${Array.from({ length: 8 }, () => clause).join(', ')}.`;
    const chunks = chunkText(sentence, 130);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(130);
    expect(chunks.slice(0, -1).every((c) => c.pauseAfterSeconds === CLAUSE_PAUSE_SECONDS)).toBe(true);
    expect(chunks.map((c) => c.text).join(' ')).toBe(sentence);

    const noPunctuation = Array.from({ length: 60 }, () => 'maneno').join(' ');
    const wordChunks = chunkText(noPunctuation, 100);
    for (const chunk of wordChunks) expect(chunk.text.length).toBeLessThanOrEqual(100);
    expect(wordChunks.map((c) => c.text).join(' ')).toBe(noPunctuation);
  });

  it('drops pieces with nothing to say', () => {
    expect(chunkText('... !!! ')).toEqual([]);
  });
});
