import { Transform } from 'class-transformer';
import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { AudioFormat, speechText } from '../../synthesis/synthesis-request';

/** What the face produces; mp3 is the document's example and the default. */
export const FISH_FORMATS = ['mp3', 'wav', 'pcm', 'opus'] as const satisfies readonly AudioFormat[];
export type FishFormat = (typeof FISH_FORMATS)[number];
export const FISH_DEFAULT_FORMAT: FishFormat = 'mp3';

/** Code points after NFC, the count that is billed; the longest text the built-in engine takes. */
export const FISH_MAX_TEXT_CHARACTERS = 20_000;

@ValidatorConstraint({ name: 'fishTextLength' })
class FishTextLength implements ValidatorConstraintInterface {
  validate(text: unknown): boolean {
    if (typeof text !== 'string') return false;
    const { characters } = speechText(text);
    return text.trim().length > 0 && characters <= FISH_MAX_TEXT_CHARACTERS;
  }

  defaultMessage(): string {
    return `Field 'text' must contain speech of 1 to ${FISH_MAX_TEXT_CHARACTERS} characters.`;
  }
}

/** `POST /api/open/v1/speech/tts/jobs`. Fields the document does not define are ignored. */
export class FishCreateTaskDto {
  @IsString({ message: "Field 'text' must be a string." })
  @Validate(FishTextLength)
  text!: string;

  @IsString({ message: "Field 'voiceId' must be a string naming a voice." })
  @IsNotEmpty({ message: "Field 'voiceId' must name a voice." })
  @MaxLength(200, { message: "Field 'voiceId' is longer than 200 characters." })
  voiceId!: string;

  /** Absent or null: the voice's own engine chain. */
  @IsOptional()
  @IsString({ message: "Field 'engineModelId' must be a string." })
  @IsNotEmpty({ message: "Field 'engineModelId' must not be empty." })
  @MaxLength(200, { message: "Field 'engineModelId' is longer than 200 characters." })
  engineModelId?: string;

  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(FISH_FORMATS, { message: `Field 'format' must be one of ${FISH_FORMATS.join(', ')}.` })
  format?: FishFormat;
}
