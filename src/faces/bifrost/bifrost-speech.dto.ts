import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AUDIO_FORMATS } from '../../audio/audio-format';
import type { AudioFormat } from '../../synthesis/synthesis-request';

export const BIFROST_MAX_INPUT_CHARACTERS = 100_000;
const PROVIDER_MODEL = /^[^/\s]+\/\S.*$/;

export class BifrostPronunciationDictionaryLocatorDto {
  @IsString({ message: "Field 'pronunciation_dictionary_id' must be a string" })
  pronunciation_dictionary_id!: string;

  @IsOptional()
  @IsString({ message: "Field 'version_id' must be a string" })
  version_id?: string;
}

/** `POST /v1/async/audio/speech`, as Bifrost documents it. */
export class BifrostSpeechRequestDto {
  @Matches(PROVIDER_MODEL, { message: "Field 'model' must be in provider/model format (e.g. vits/sauti-swahili-v1)" })
  @IsString({ message: "Field 'model' must be a string in provider/model format" })
  @IsNotEmpty({ message: "Field 'model' is required" })
  model!: string;

  @MaxLength(BIFROST_MAX_INPUT_CHARACTERS, { message: `Field 'input' must be at most ${BIFROST_MAX_INPUT_CHARACTERS} characters` })
  @IsString({ message: "Field 'input' must be a string" })
  @IsNotEmpty({ message: "Field 'input' is required" })
  input!: string;

  @IsString({ message: "Field 'voice' must be a string (multi-speaker voice objects are not supported)" })
  @IsNotEmpty({ message: "Field 'voice' is required" })
  voice!: string;

  @IsOptional()
  @IsArray({ message: "Field 'fallbacks' must be an array of provider/model strings" })
  @ArrayMaxSize(10, { message: "Field 'fallbacks' may name at most 10 models" })
  @IsString({ each: true, message: "Field 'fallbacks' must be an array of provider/model strings" })
  @Matches(PROVIDER_MODEL, { each: true, message: "Field 'fallbacks' must be an array of provider/model strings" })
  fallbacks?: string[];

  @IsOptional()
  @IsIn(['sse'], { message: "Field 'stream_format' must be 'sse'" })
  stream_format?: 'sse';

  @IsOptional()
  @IsString({ message: "Field 'instructions' must be a string" })
  @MaxLength(4096, { message: "Field 'instructions' must be at most 4096 characters" })
  instructions?: string;

  @IsOptional()
  @IsIn(AUDIO_FORMATS, { message: `Field 'response_format' must be one of ${AUDIO_FORMATS.join(', ')}` })
  response_format?: AudioFormat;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: "Field 'speed' must be a number between 0.25 and 4" })
  @Min(0.25, { message: "Field 'speed' must be a number between 0.25 and 4" })
  @Max(4, { message: "Field 'speed' must be a number between 0.25 and 4" })
  speed?: number;

  @IsOptional()
  @IsString({ message: "Field 'language_code' must be a string" })
  @Matches(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: "Field 'language_code' must be a language code such as 'sw' or 'en-US'" })
  language_code?: string;

  @IsOptional()
  @IsArray({ message: "Field 'pronunciation_dictionary_locators' must be an array" })
  @ValidateNested({ each: true })
  @Type(() => BifrostPronunciationDictionaryLocatorDto)
  pronunciation_dictionary_locators?: BifrostPronunciationDictionaryLocatorDto[];

  @IsOptional()
  @IsBoolean({ message: "Field 'enable_logging' must be a boolean" })
  enable_logging?: boolean;

  @IsOptional()
  @IsBoolean({ message: "Field 'optimize_streaming_latency' must be a boolean" })
  optimize_streaming_latency?: boolean;

  @IsOptional()
  @IsBoolean({ message: "Field 'with_timestamps' must be a boolean" })
  with_timestamps?: boolean;
}
