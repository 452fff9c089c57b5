import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const ESLINT = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

/** Imports a face must not have: providers, billing and routing are reached through SpeechService only. */
const SOURCE = [
  "import { ProviderRegistry } from '../../providers/provider.registry';",
  "import { CreditsService } from '../../billing/credits.service';",
  "import { SynthesisRouter } from '../../synthesis/routing/synthesis.router';",
  "import { SpeechService } from '../../synthesis/speech.service';",
  'export const used = [ProviderRegistry, CreditsService, SynthesisRouter, SpeechService];',
  '',
].join('\n');

/** The repository's eslint configuration run on `SOURCE` as if it were the file at `path`: the rules it breaks. */
function lintAs(path: string): Promise<Array<{ ruleId: string; message: string }>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [ESLINT, '--stdin', '--stdin-filename', path, '--format', 'json'],
      { cwd: ROOT },
      (error, stdout) => {
        // eslint exits 1 when it found problems; anything without a JSON report is a failure of the run.
        try {
          resolve((JSON.parse(stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>)[0].messages);
        } catch {
          reject(error ?? new Error(`eslint printed no report: ${stdout}`));
        }
      },
    );
    child.stdin!.end(SOURCE);
  });
}

describe('faces reach providers, billing and routing only through SpeechService (eslint no-restricted-imports)', () => {
  it('a face importing providers/, billing/ or synthesis/routing/ fails the lint, once per import, with the reason', async () => {
    const messages = await lintAs('src/faces/openai/imports-probe.ts');
    expect(messages.map((message) => message.ruleId)).toEqual(['no-restricted-imports', 'no-restricted-imports', 'no-restricted-imports']);
    expect(messages.map((message) => message.message).join('\n')).toMatch(/providers.*SpeechService[\s\S]*never bill[\s\S]*routing only/);
  }, 60_000);

  it('the same imports are allowed where the use case lives (src/synthesis)', async () => {
    const messages = await lintAs('src/synthesis/imports-probe.ts');
    expect(messages.filter((message) => message.ruleId === 'no-restricted-imports')).toEqual([]);
  }, 60_000);
});
