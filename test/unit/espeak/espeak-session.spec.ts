import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { espeakSessions } from '../../../src/espeak/espeak-sessions';
import { espeakLines, phonemizeClauses, speak } from '../../../src/espeak/espeak-speech';

/**
 * eSpeak's sessions run the compiled worker from dist/ (`npm run build` first; `npm run check` does).
 * The reference is a one-shot eSpeak run in a separate process (eSpeak is an ES module, which jest's
 * VM cannot import): a fresh WebAssembly instance reading the text from a file.
 */
function oneShot(functionName: 'phonemize' | 'speakToWav', text: string): Buffer {
  const runtime = resolve(__dirname, '../../../dist/src/espeak/espeak-runtime.js');
  const call =
    functionName === 'phonemize'
      ? `phonemize(process.argv[1], 'sw').then((lines) => JSON.stringify(lines))`
      : `speakToWav(process.argv[1], 'sw', 175).then((wav) => Buffer.from(wav).toString('base64'))`;
  const script = `require(${JSON.stringify(runtime)}).${call}.then((out) => process.stdout.write(out))`;
  return Buffer.from(
    execFileSync(process.execPath, ['-e', script, text], { encoding: 'utf8' }),
    functionName === 'phonemize' ? 'utf8' : 'base64',
  );
}

function rms(pcm: Buffer): number {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

describe('eSpeak sessions', () => {
  afterAll(() => espeakSessions.close());

  it('phonemizes like a one-shot eSpeak run, call after call, in one session', async () => {
    const clauses = ['Habari za asubuhi', 'Ninapenda chai ya tangawizi', 'Watoto wanacheza mpira uwanjani'];
    const reference = clauses.map((clause) =>
      (JSON.parse(oneShot('phonemize', clause).toString()) as string[]).join(' ').replace(/\u200d/g, ''),
    );
    for (let round = 0; round < 3; round++) expect(await phonemizeClauses(clauses, 'sw')).toEqual(reference);
    expect(espeakSessions.size).toBe(1);
  });

  it('speaks like a one-shot eSpeak run (its noise source aside: same length within 1 %, same loudness within 5 %)', async () => {
    const text = 'Karibu sana. Leo ni siku nzuri sana kwa kutembea.';
    const wav = oneShot('speakToWav', text);
    const reference = wav.subarray(44);
    for (let round = 0; round < 2; round++) {
      const speech = await speak(text, 'sw', 175);
      expect(speech.sampleRate).toBe(wav.readUInt32LE(24));
      expect(Math.abs(speech.pcm.length - reference.length) / reference.length).toBeLessThan(0.01);
      expect(Math.abs(rms(speech.pcm) - rms(reference)) / rms(reference)).toBeLessThan(0.05);
    }
  });

  it('gives each of many concurrent callers its own answer', async () => {
    const words = ['moja', 'mbili', 'tatu', 'nne', 'tano', 'sita', 'saba', 'nane'];
    const alone = await phonemizeClauses(words, 'sw');
    const together = await Promise.all(words.map((word) => phonemizeClauses([word], 'sw')));
    expect(together).toEqual(alone.map((ipa) => [ipa]));
    const speeches = await Promise.all(['moja', 'moja mbili tatu nne tano sita saba nane'].map((text) => speak(text, 'sw', 175)));
    expect(speeches[1].pcm.length).toBeGreaterThan(3 * speeches[0].pcm.length);
  });

  it('reports an unknown voice with eSpeak’s own message, and keeps serving the others', async () => {
    await expect(phonemizeClauses(['habari'], 'zz-nothing')).rejects.toThrow(/voice does not exist/);
    await expect(speak('habari', 'zz-nothing', 175)).rejects.toThrow(/voice does not exist/);
    expect(await phonemizeClauses(['habari'], 'sw')).toEqual(['habˈari']);
  });

  it('releases a caller whose signal aborts, waiting or running, and the session goes on', async () => {
    const controller = new AbortController();
    const running = speak('Habari za asubuhi rafiki yangu. '.repeat(30), 'sw', 175, controller.signal);
    const waiting = [1, 2, 3].map(() => speak('Habari za asubuhi rafiki yangu. '.repeat(30), 'sw', 175, controller.signal));
    controller.abort(new Error('caller gone'));
    for (const call of [running, ...waiting]) await expect(call).rejects.toThrow('caller gone');
    await expect(speak('habari', 'sw', 175, AbortSignal.abort(new Error('already gone')))).rejects.toThrow('already gone');
    expect((await speak('habari', 'sw', 175)).pcm.length).toBeGreaterThan(0);
  });

  it('rejects calls in flight when closed, and starts afresh on the next call', async () => {
    const inFlight = speak('Habari za asubuhi rafiki yangu. '.repeat(30), 'sw', 175);
    espeakSessions.close();
    await expect(inFlight).rejects.toThrow(/closed/);
    expect(espeakSessions.size).toBe(0);
    expect(await phonemizeClauses(['karibu'], 'sw')).toEqual(['karˈibu']);
  });

  it('splits long text into lines eSpeak reads whole: sentence ends first, then spaces, never inside a character', () => {
    const sentence = 'Habari za asubuhi, rafiki yangu mpendwa. ';
    const lines = espeakLines(sentence.repeat(60));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(900);
      expect(line.trimEnd().endsWith('.')).toBe(true);
    }
    expect(lines.join(' ').replace(/\s+/g, ' ').trim()).toBe(sentence.repeat(60).trim());
    const unbroken = espeakLines('ng’ombe '.repeat(200).replace(/ /g, ''));
    expect(unbroken.every((line) => Buffer.byteLength(line) <= 900)).toBe(true);
    expect(unbroken.join('')).toBe('ng’ombe'.repeat(200));
    expect(espeakLines('mstari\nmmoja\r\nkamili')).toEqual(['mstari mmoja kamili']);
  });
});
