import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export class AdminFailureQueryDto {
  @ApiPropertyOptional({ enum: ['all', 'job', 'request'], default: 'all' })
  @IsOptional()
  @IsIn(['all', 'job', 'request'])
  kind: 'all' | 'job' | 'request' = 'all';

  @ApiPropertyOptional({ example: 'all_providers_failed', description: 'Only this error code.' })
  @IsOptional()
  @Matches(/^[a-z_]{1,64}$/)
  code?: string;

  @ApiPropertyOptional({ example: 'openai', description: 'Only failures where this provider was tried.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  provider?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this tenant.' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 100;
}

export class AdminAttemptDto {
  @ApiProperty({ example: 'openai' })
  provider!: string;

  @ApiProperty({ example: 'tts-1', required: false })
  model?: string;

  @ApiProperty({ example: 'provider_unavailable', description: '`ok` or the error code of this target.' })
  outcome!: string;

  @ApiProperty({ example: 312.5 })
  durationMs!: number;

  @ApiProperty({ example: 2, description: 'Retries on this target after its first call.' })
  retries!: number;

  @ApiPropertyOptional({ example: 'upstream answered 503' })
  message?: string;
}

export class AdminFailureDto {
  @ApiProperty({ enum: ['job', 'request'] })
  kind!: 'job' | 'request';

  @ApiProperty({ description: 'The request id (x-request-id), or the job id, which is the id its synthesis ran under.' })
  request_id!: string;

  @ApiPropertyOptional({ description: 'The job id, for jobs.' })
  job_id?: string;

  @ApiProperty()
  at!: string;

  @ApiProperty({ example: 'all_providers_failed' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ description: 'HTTP status answered, for requests.' })
  status?: number;

  @ApiProperty({ example: 'sauti' })
  face!: string;

  @ApiPropertyOptional({ example: 'sauti-swahili-v1' })
  route?: string;

  @ApiPropertyOptional({ example: 'POST /v1/text-to-speech/sauti-swahili-v1' })
  endpoint?: string;

  @ApiProperty({ nullable: true, type: String })
  tenant_id!: string | null;

  @ApiProperty({ nullable: true, type: String })
  tenant_name!: string | null;

  @ApiProperty({ type: [AdminAttemptDto] })
  attempts!: AdminAttemptDto[];
}

export class AdminFailureListDto {
  @ApiProperty({ type: [AdminFailureDto] })
  failures!: AdminFailureDto[];

  @ApiProperty({ description: 'Failed requests are kept in a capped list of this many (jobs stay in PostgreSQL).' })
  requests_kept!: number;
}
