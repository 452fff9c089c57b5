import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoiceCatalogConfig, VoicesConfig } from '../../../src/config/voices.config';
import { loadYamlFile } from '../../../src/config/yaml-file';

describe('voices.yaml and voice-catalog.yaml', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sauti-voices-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the shipped files: the Swahili voice from VOICES_DIR, the test voice from the fixtures', () => {
    const voices = loadYamlFile('config', 'voices.yaml', VoicesConfig);
    expect(voices.voices.map((v) => [v.id, v.format, v.test_voice, v.dir])).toEqual([
      ['sauti-swahili-v1', 'piper', false, undefined],
      ['sauti-test-v1', 'piper', true, 'test/fixtures/voices'],
    ]);
    const catalog = loadYamlFile('config', 'voice-catalog.yaml', VoiceCatalogConfig);
    expect(catalog.voices.find((v) => v.id === 'sauti-swahili-v1')?.files.map((f) => f.name)).toEqual([
      'sw_CD-lanfrica-medium.onnx',
      'sw_CD-lanfrica-medium.onnx.json',
    ]);
  });

  it('names each bad field', () => {
    writeFileSync(
      join(dir, 'voices.yaml'),
      'voices:\n  - { id: a, format: wav, model: a.onnx }\n  - { id: a, format: piper, model: b.onnx }\n',
    );
    expect(() => loadYamlFile(dir, 'voices.yaml', VoicesConfig)).toThrow(/voices: voice ids must be unique[\s\S]*voices\.0\.format/);
    writeFileSync(join(dir, 'voice-catalog.yaml'), 'voices:\n  - id: a\n    files: [{ name: ../x.onnx, url: not-a-url, sha256: nope }]\n');
    expect(() => loadYamlFile(dir, 'voice-catalog.yaml', VoiceCatalogConfig)).toThrow(
      /name must be a bare file name[\s\S]*url[\s\S]*sha256/,
    );
  });
});
