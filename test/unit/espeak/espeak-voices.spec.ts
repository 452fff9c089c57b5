import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { isEspeakVoice } from '../../../src/espeak/espeak-voices';

const run = promisify(execFile);

describe('eSpeak voice names', () => {
  it('the committed list is what the installed eSpeak NG prints (regenerate with scripts/list-espeak-voices.ts)', async () => {
    // eSpeak is an ES module that Jest's CommonJS runtime cannot import: the compiled script runs it.
    const script = resolve(__dirname, '../../../dist/scripts/list-espeak-voices.js');
    const { stdout } = await run(process.execPath, [script, '--stdout']);
    const committed = readFileSync(join(__dirname, '../../../src/espeak/espeak-voice-list.ts'), 'utf8');
    expect(stdout).toBe(committed);
    for (const name of ['"sw"', '"swahili"', '"en-us"', '"gmw/en-us"', '"zh"', '"f3"']) expect(stdout).toContain(name);
  });

  it.each(['sw', 'SW', 'Swahili', 'en-us', 'EN-US', 'gmw/en-US', 'zh', 'cmn', 'en-gb-x-rp', 'en+f3', 'en+F3', 'en+Alex', 'sw-tz'])(
    'accepts %s, as eSpeak does',
    (voice) => {
      expect(isEspeakVoice(voice)).toBe(true);
    },
  );

  it.each(['zz', 'en_us', 'zz-tz', 'sw+zz', 'sw+f3+f4', '', '+f3', 'sw+', 'sw-', 'sw-tz-', 'sw-../../etc', 'sw-averyverylongsubtag'])(
    'refuses %j',
    (voice) => {
      expect(isEspeakVoice(voice)).toBe(false);
    },
  );
});
