import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayUnique, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Min, MinLength, ValidateNested } from 'class-validator';

const VOICE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** One voice of `config/voices.yaml`. */
export class VoiceEntry {
  @Matches(VOICE_ID, { message: 'id must be lower-case letters, digits, ., _ or -' })
  id!: string;

  /** `piper`: model + `<model>.json` (phoneme_id_map, eSpeak voice, sample rate). `mms`: model + vocabulary, 16 kHz. */
  @IsIn(['piper', 'mms'])
  format!: 'piper' | 'mms';

  /** Model file name, relative to `dir`. */
  @IsString()
  @MinLength(1)
  model!: string;

  /** Piper: defaults to `<model>.json`. MMS: the vocabulary (`tokens.txt` or `vocab.json`). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  config?: string;

  /** Where the files are; relative paths start at the working directory. Defaults to VOICES_DIR. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  dir?: string;

  @IsOptional()
  @IsString()
  language?: string;

  @IsOptional()
  @IsString()
  description?: string;

  /** MMS voices have no config file that says their rate. */
  @IsOptional()
  @IsInt()
  @Min(8000)
  sample_rate?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  speaker_id?: number;

  /** A generated voice for tests and CI: labelled as such in /v1/voices and health. */
  @IsBoolean()
  test_voice = false;
}

/** `config/voices.yaml`: the voices the built-in `vits` provider serves. */
export class VoicesConfig {
  @ValidateNested({ each: true })
  @Type(() => VoiceEntry)
  @ArrayUnique((voice: VoiceEntry) => voice.id, { message: 'voice ids must be unique' })
  voices: VoiceEntry[] = [];
}

/** One downloadable file of a catalogue voice. */
export class VoiceCatalogFile {
  /** File name written into the voice's directory. */
  @IsString()
  @Matches(/^[^/\\]+$/, { message: 'name must be a bare file name' })
  name!: string;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  url!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  size?: number;

  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' })
  sha256?: string;
}

export class VoiceCatalogEntry {
  @Matches(VOICE_ID)
  id!: string;

  @IsOptional()
  @IsString()
  source?: string;

  @IsOptional()
  @IsString()
  license?: string;

  @ValidateNested({ each: true })
  @Type(() => VoiceCatalogFile)
  @ArrayUnique((file: VoiceCatalogFile) => file.name)
  files: VoiceCatalogFile[] = [];
}

/** `config/voice-catalog.yaml`: where `voices install <id>` downloads each voice from. */
export class VoiceCatalogConfig {
  @ValidateNested({ each: true })
  @Type(() => VoiceCatalogEntry)
  @ArrayUnique((voice: VoiceCatalogEntry) => voice.id, { message: 'voice ids must be unique' })
  voices: VoiceCatalogEntry[] = [];
}
