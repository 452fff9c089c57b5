import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SautiVoiceSettingsDto, TEXT_DESCRIPTION } from './sauti-text-to-speech.dto';

export const SAUTI_JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type SautiJobStatus = (typeof SAUTI_JOB_STATUSES)[number];

export class SautiCreateJobDto {
  @ApiProperty({ description: TEXT_DESCRIPTION, maxLength: 5000, example: 'A long Swahili text exceeding 2000 characters...' })
  text!: string;

  @ApiProperty({ description: 'The voice to use (see GET /v1/voices).', example: 'sauti-swahili-v1' })
  voice_id!: string;

  @ApiPropertyOptional({ type: SautiVoiceSettingsDto })
  voice_settings?: SautiVoiceSettingsDto;
}

export class SautiJobAcceptedDto {
  @ApiProperty({ example: 'job_abc123' })
  job_id!: string;

  @ApiProperty({
    enum: SAUTI_JOB_STATUSES,
    example: 'queued',
    description: 'queued for a new job; the current status when an Idempotency-Key replays an earlier one.',
  })
  status!: SautiJobStatus;

  @ApiProperty({ description: 'ISO-8601 UTC.', example: '2026-03-15T10:30:00Z' })
  created_at!: string;
}

export class SautiJobErrorDto {
  @ApiProperty({ description: 'Stable error code.', example: 'all_providers_failed' })
  code!: string;

  @ApiProperty({ example: 'No provider could synthesise this text.' })
  message!: string;
}

export class SautiJobStatusDto extends SautiJobAcceptedDto {
  @ApiPropertyOptional({ description: 'ISO-8601 UTC; present once the job succeeded or failed.', example: '2026-03-15T10:30:12Z' })
  completed_at?: string;

  @ApiPropertyOptional({ type: SautiJobErrorDto, description: 'Present when status is failed.' })
  error?: SautiJobErrorDto;
}
