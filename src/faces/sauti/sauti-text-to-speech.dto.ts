import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation shapes: bodies are checked by sauti-request.parser.ts, which counts characters as code points. */
export class SautiVoiceSettingsDto {
  @ApiPropertyOptional({
    description: 'Speaking rate; 1.0 is the voice’s natural pace.',
    minimum: 0.25,
    maximum: 4,
    default: 1.0,
    example: 1.0,
  })
  speaking_rate?: number;

  @ApiPropertyOptional({ description: 'VITS noise_scale: variation in the voice.', minimum: 0, maximum: 2, default: 0.667, example: 0.667 })
  noise_scale?: number;

  @ApiPropertyOptional({ description: 'VITS noise_w: variation in phoneme durations.', minimum: 0, maximum: 2, default: 0.8, example: 0.8 })
  noise_scale_duration?: number;
}

const TEXT_DESCRIPTION =
  'The Swahili text to synthesise. Maximum 5,000 characters (Unicode code points after NFC normalisation). ' +
  'Must not be blank; control characters other than newline and tab are rejected.';

export class SautiTextToSpeechDto {
  @ApiProperty({
    description: `${TEXT_DESCRIPTION} Texts over 2,000 characters are processed asynchronously (202 with a job_id).`,
    maxLength: 5000,
    example: 'Habari za asubuhi. Unafanya kazi vizuri.',
  })
  text!: string;

  @ApiPropertyOptional({ type: SautiVoiceSettingsDto, description: 'Optional synthesis parameters; unknown keys are rejected.' })
  voice_settings?: SautiVoiceSettingsDto;
}

export class SautiTextToSpeechResponseDto {
  @ApiProperty({ description: 'Base64-encoded WAV audio (16-bit PCM, mono, at the voice’s sample rate).', example: 'UklGRi4A...' })
  audio_base64!: string;

  @ApiProperty({ description: 'Always audio/wav.', enum: ['audio/wav'], example: 'audio/wav' })
  content_type!: 'audio/wav';

  @ApiProperty({ description: 'Duration of the generated audio in seconds.', example: 1.84 })
  duration_seconds!: number;

  @ApiProperty({ description: 'Number of characters that were synthesised (code points after NFC); what is billed.', example: 42 })
  characters_synthesized!: number;

  @ApiProperty({ description: 'The voice used for synthesis.', example: 'sauti-swahili-v1' })
  voice_id!: string;
}

export { TEXT_DESCRIPTION };
