import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { USAGE_DIMENSIONS, USAGE_INTERVALS } from '../../usage/usage-query';

export class SautiUsageFiguresDto {
  @ApiProperty({ description: 'Requests and jobs finished (settled or released), whatever their outcome.' })
  requests!: number;

  @ApiProperty({ description: 'Of those, the ones that failed (nothing delivered, or a stream that broke).' })
  failures!: number;

  @ApiProperty({ description: 'Of those, the ones the client stopped.' })
  cancelled!: number;

  @ApiProperty({ description: 'Unicode code points of the texts.' })
  characters!: number;

  @ApiProperty({ description: 'Seconds of audio produced, where known (a provider’s bytes passed through untouched are not measured).' })
  audio_seconds!: number;

  @ApiProperty({ description: 'Credits taken: reserved minus refunded.' })
  credits_charged!: number;

  @ApiProperty({ description: 'Credits reserved and given back (failures, partial charges).' })
  credits_refunded!: number;

  @ApiProperty({ description: 'Answers served from the audio cache.' })
  cache_hits!: number;
}

export class SautiUsageBucketDto extends SautiUsageFiguresDto {
  @ApiProperty({
    description: 'Start of the bucket (UTC), or `from` for a first bucket that begins before it.',
    example: '2026-03-01T00:00:00.000Z',
  })
  start!: string;

  @ApiProperty({ description: 'End of the bucket, exclusive, or `to` for a last bucket cut short.', example: '2026-03-02T00:00:00.000Z' })
  end!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'group_by=api_key (null: no key, e.g. the dashboard).',
  })
  api_key_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=api_key: the key’s name.' })
  api_key_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'group_by=voice: the voice or provider/model asked for (`route:voice` when named apart).',
  })
  voice?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'group_by=provider: who served it (null when nothing did).' })
  provider?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, enum: ['sauti', 'fish', 'bifrost', 'openai', 'elevenlabs', 'admin'] })
  face?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, enum: ['succeeded', 'failed', 'cancelled'] })
  status?: string | null;
}

export class SautiLowBalanceCrossingDto {
  @ApiProperty()
  crossed_at!: string;

  @ApiProperty()
  threshold!: number;

  @ApiProperty({ description: 'The balance just after the crossing.' })
  balance!: number;
}

export class SautiLowBalanceDto {
  @ApiProperty({ type: Number, nullable: true, description: 'Set with PATCH /v1/account.' })
  threshold!: number | null;

  @ApiProperty({ description: 'The balance crossed below the threshold and no top-up has lifted it back since.' })
  below!: boolean;

  @ApiProperty({ type: [SautiLowBalanceCrossingDto], description: 'Crossings within [from, to).' })
  crossings!: SautiLowBalanceCrossingDto[];
}

export class SautiUsageReportDto {
  @ApiProperty({ description: 'Inclusive, UTC.' })
  from!: string;

  @ApiProperty({ description: 'Exclusive, UTC.' })
  to!: string;

  @ApiProperty({ enum: USAGE_INTERVALS })
  interval!: string;

  @ApiProperty({ enum: USAGE_DIMENSIONS, isArray: true })
  group_by!: string[];

  @ApiProperty({ type: [SautiUsageBucketDto], description: 'Buckets with activity only, by start then attribution.' })
  buckets!: SautiUsageBucketDto[];

  @ApiProperty({ type: SautiUsageFiguresDto })
  totals!: SautiUsageFiguresDto;

  @ApiProperty({ type: SautiLowBalanceDto })
  low_balance!: SautiLowBalanceDto;
}
