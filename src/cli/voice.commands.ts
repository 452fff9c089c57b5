import type { AppConfig } from '../config/app-config';
import { installCommand, loadVoiceModel, voiceFiles } from '../providers/vits/voice-models';
import { installVoice } from '../providers/vits/voice.installer';
import type { CliCommand } from './cli-command';

export interface VoiceListing {
  id: string;
  format: string;
  testVoice: boolean;
  state: 'installed' | 'missing' | 'not declared';
  sampleRate?: number;
  files?: { model: string; config: string };
  reason?: string;
  installable: boolean;
}

/** Declared voices with their state, then catalogue voices that config/voices.yaml does not declare. */
export function listVoices(config: AppConfig): VoiceListing[] {
  const installable = new Set(config.voiceCatalog.voices.map((voice) => voice.id));
  const declared: VoiceListing[] = config.voices.voices.map((entry) => {
    const loaded = loadVoiceModel(entry, config.paths.voicesDir);
    const base = {
      id: entry.id,
      format: entry.format,
      testVoice: entry.test_voice,
      files: voiceFiles(entry, config.paths.voicesDir),
      installable: installable.has(entry.id),
    };
    return loaded.available
      ? { ...base, state: 'installed', sampleRate: loaded.model.sampleRate }
      : { ...base, state: 'missing', reason: loaded.voice.reason };
  });
  const undeclared: VoiceListing[] = config.voiceCatalog.voices
    .filter((voice) => !config.voices.voices.some((entry) => entry.id === voice.id))
    .map((voice) => ({ id: voice.id, format: 'catalogue only', testVoice: false, state: 'not declared', installable: true }));
  return [...declared, ...undeclared];
}

function describeListing(voice: VoiceListing): string {
  const label = voice.testVoice ? ' (test voice)' : '';
  const detail =
    voice.state === 'installed'
      ? `${voice.sampleRate} Hz`
      : voice.state === 'missing' && voice.installable
        ? `run: ${installCommand(voice.id)}`
        : (voice.reason ?? '');
  return `${voice.id.padEnd(24)} ${voice.format.padEnd(14)} ${voice.state.padEnd(12)} ${detail}${label}`;
}

export const voiceCommands: CliCommand[] = [
  {
    name: 'voices list',
    description: 'declared voices: installed or missing, and installable ones',
    async run(_args, context) {
      const voices = listVoices(context.config);
      context.print(voices.map(describeListing).join('\n') || 'no voices', { voices });
    },
  },
  {
    name: 'voices install',
    arguments: ['<voice-id>'],
    description: 'download a voice from config/voice-catalog.yaml (idempotent), e.g. sauti-swahili-v1',
    options: [
      { flags: '--base-url <url>', description: "fetch every file from <url>/<file name> (a mirror) instead of the catalogue's URLs" },
    ],
    async run(args, context) {
      const voiceId = args.positionals[0];
      const baseUrl = typeof args.options['base-url'] === 'string' ? args.options['base-url'] : context.config.voiceDownloads.baseUrl;
      const result = await installVoice({
        voiceId,
        catalog: context.config.voiceCatalog,
        voices: context.config.voices,
        voicesDir: context.config.paths.voicesDir,
        baseUrl,
        log: args.json ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      const lines = result.files.map(
        (file) => `  ${file.status === 'installed' ? 'installed' : 'kept     '} ${file.path} (${file.bytes} bytes, sha256 ${file.sha256})`,
      );
      context.print(
        `${result.alreadyInstalled ? `${voiceId} is already installed` : `${voiceId} installed`} in ${result.dir}\n${lines.join('\n')}`,
        result,
      );
    },
  },
];
