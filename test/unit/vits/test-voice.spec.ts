import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestVoice } from '../../../scripts/generate-test-voice';

describe('generated test voice', () => {
  it('regenerates byte for byte what test/fixtures/voices holds (run the script and commit if this fails)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sauti-test-voice-'));
    try {
      const written = writeTestVoice(dir);
      const fixtures = join(__dirname, '../../fixtures/voices');
      expect(readFileSync(written.modelPath).equals(readFileSync(join(fixtures, 'sauti-test-v1.onnx')))).toBe(true);
      expect(readFileSync(written.configPath, 'utf8')).toBe(readFileSync(join(fixtures, 'sauti-test-v1.onnx.json'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
