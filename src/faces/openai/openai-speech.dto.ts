import { IsIn, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AUDIO_FORMATS } from '../../audio/audio-format';
import type { AudioFormat } from '../../synthesis/synthesis-request';

/** OpenAI's own limit for `input` on /v1/audio/speech. */
export const OPENAI_MAX_INPUT_CHARACTERS = 4096;

/** `POST /v1/audio/speech`, OpenAI's body (what Bifrost and LiteLLM clients send without async). */
export class OpenAiSpeechRequestDto {
  @IsString({ message: "Field 'model' must be a string: a provider/model (e.g. vits/sauti-swahili-v1) or a catalogue voice id" })
  @IsNotEmpty({ message: "Field 'model' is required" })
  model!: string;

  @MaxLength(OPENAI_MAX_INPUT_CHARACTERS, { message: `Field 'input' must be at most ${OPENAI_MAX_INPUT_CHARACTERS} characters` })
  @IsString({ message: "Field 'input' must be a string" })
  @IsNotEmpty({ message: "Field 'input' is required" })
  input!: string;

  @IsString({ message: "Field 'voice' must be a string" })
  @IsNotEmpty({ message: "Field 'voice' is required" })
  voice!: string;

  @IsOptional()
  @IsIn(AUDIO_FORMATS, { message: `Field 'response_format' must be one of ${AUDIO_FORMATS.join(', ')}` })
  response_format?: AudioFormat;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: "Field 'speed' must be a number between 0.25 and 4" })
  @Min(0.25, { message: "Field 'speed' must be a number between 0.25 and 4" })
  @Max(4, { message: "Field 'speed' must be a number between 0.25 and 4" })
  speed?: number;

  @IsOptional()
  @IsIn(['audio', 'sse'], { message: "Field 'stream_format' must be 'audio' or 'sse'" })
  stream_format?: 'audio' | 'sse';

  @IsOptional()
  @IsString({ message: "Field 'instructions' must be a string" })
  @MaxLength(4096, { message: "Field 'instructions' must be at most 4096 characters" })
  instructions?: string;
}
