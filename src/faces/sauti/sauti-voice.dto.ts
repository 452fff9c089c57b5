import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class SautiVoiceDto {
  @ApiProperty({ example: 'sauti-swahili-v1' })
  voice_id!: string;

  @ApiProperty({ example: 'Sauti Swahili' })
  name!: string;

  @ApiProperty({ description: 'ISO 639-1 language code.', example: 'sw' })
  language!: string;

  @ApiProperty({ description: 'Sample rate of every WAV this voice returns (Hz).', example: 16000 })
  sample_rate!: number;

  @ApiProperty({ description: 'Engine of the voice’s own model (vits, espeak, an upstream kind).', example: 'vits' })
  engine!: string;

  @ApiProperty({ description: 'The voice’s own model can serve now.', example: true })
  available!: boolean;

  @ApiProperty({ description: 'The voice’s own model cannot serve now, and a fallback engine currently answers instead.', example: false })
  served_by_fallback!: boolean;

  @ApiPropertyOptional({ description: 'Which fallback provider serves it, when served_by_fallback.', example: 'espeak' })
  fallback_provider?: string;

  @ApiProperty({ description: 'A small generated voice for integration tests; not natural speech.', example: false })
  test_voice!: boolean;

  @ApiPropertyOptional({ description: 'The model’s own rate when it differs from sample_rate (answers are resampled).', example: 22050 })
  model_sample_rate?: number;
}

export class SautiVoiceListDto {
  @ApiProperty({ type: [SautiVoiceDto] })
  voices!: SautiVoiceDto[];
}
