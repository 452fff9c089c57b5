import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';

/** As long as a Sauti request answered inline. */
export const TRY_MAX_CHARACTERS = 2000;

export class AdminTryDto {
  @ApiProperty({ example: 'Habari za asubuhi. Karibu Sauti.', maxLength: TRY_MAX_CHARACTERS })
  @IsString()
  @MinLength(1)
  @MaxLength(TRY_MAX_CHARACTERS)
  @Matches(/\S/, { message: 'text must not be blank' })
  text!: string;

  @ApiProperty({
    example: 'sauti-swahili-v1',
    description: 'A catalogue voice id or a `provider/model` route (`espeak/sw`, `openai/tts-1`).',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  route!: string;

  @ApiPropertyOptional({ example: 'alloy', description: 'The upstream voice, for `provider/model` routes of HTTP providers.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  voice?: string;

  @ApiProperty({ format: 'uuid', description: 'The tenant billed for it.' })
  @IsUUID()
  tenant_id!: string;
}

export class AdminTryResultDto {
  @ApiProperty({ description: '16-bit mono WAV, base64.' })
  audio_base64!: string;

  @ApiProperty({ example: 'audio/wav' })
  content_type!: string;

  @ApiProperty({ example: 2.31 })
  duration_seconds!: number;

  @ApiProperty({ example: 'vits', description: 'The provider that served it.' })
  provider!: string;

  @ApiPropertyOptional({ example: 'sauti-swahili-v1' })
  model?: string;

  @ApiProperty()
  characters!: number;

  @ApiProperty({ description: 'Credits charged to the tenant.' })
  credits!: number;

  @ApiProperty({ description: 'The tenant’s balance afterwards.' })
  balance!: number;

  @ApiProperty({ description: 'Each provider target tried.', type: 'array', items: { type: 'object' } })
  attempts!: unknown[];

  @ApiProperty()
  request_id!: string;
}

export class AdminRouteChoiceDto {
  @ApiProperty({ example: 'sauti-swahili-v1' })
  id!: string;

  @ApiProperty({ example: 'Sauti Swahili' })
  label!: string;

  @ApiProperty({ enum: ['voice', 'model', 'provider'] })
  kind!: 'voice' | 'model' | 'provider';
}
