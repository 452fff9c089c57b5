import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../../webhooks/webhook-events';

const URL_DESCRIPTION =
  'https URL that receives the events (http only where the operator allows it). It must resolve to a public address: ' +
  'loopback, private, link-local and metadata addresses are refused unless the operator allow-listed them.';
const EVENTS_DESCRIPTION = 'Events to receive; all of them when absent.';
const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export class SautiCreateWebhookDto {
  @ApiProperty({ description: URL_DESCRIPTION, example: 'https://example.com/hooks/tts', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({
    description: EVENTS_DESCRIPTION,
    enum: WEBHOOK_EVENT_TYPES,
    isArray: true,
    example: ['job.succeeded', 'job.failed'],
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ description: 'A note for people, e.g. which system receives.', maxLength: 200, example: 'batch narration' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class SautiUpdateWebhookDto {
  @ApiPropertyOptional({ description: URL_DESCRIPTION, maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ description: EVENTS_DESCRIPTION, enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  @ApiPropertyOptional({ description: 'true re-enables a disabled endpoint (and clears its failure streak); false pauses it.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class SautiWebhookDto {
  @ApiProperty({ example: 'wh_Jt1fK0bq4sVwY2c9Xr8mNp3e' })
  id!: string;

  @ApiProperty({ example: 'https://example.com/hooks/tts' })
  url!: string;

  @ApiProperty({ nullable: true, type: String })
  description!: string | null;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: WebhookEventType[];

  @ApiProperty({ description: 'false once disabled: by a 410 Gone answer, after failing for 3 days, or by the tenant.' })
  enabled!: boolean;

  @ApiProperty({ nullable: true, type: String, description: 'Why the endpoint was disabled.' })
  disabled_reason!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'ISO-8601 UTC.' })
  disabled_at!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'First failed attempt since the last success (ISO-8601 UTC).' })
  failing_since!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Until when the previous secret still signs after a rotation.' })
  previous_secret_expires_at!: string | null;

  @ApiProperty({ description: 'ISO-8601 UTC.' })
  created_at!: string;

  @ApiProperty({ description: 'ISO-8601 UTC.' })
  updated_at!: string;
}

export class SautiWebhookWithSecretDto extends SautiWebhookDto {
  @ApiProperty({
    description: 'The signing secret (Standard Webhooks `whsec_…`). Shown only in this answer: store it now.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class SautiWebhookListDto {
  @ApiProperty({ type: [SautiWebhookDto] })
  webhooks!: SautiWebhookDto[];
}

export class SautiWebhookDeliveryDto {
  @ApiProperty({
    description: 'The `webhook-id` header of every attempt of this delivery.',
    example: 'msg_5f0c1e9d2b7a4c36a8e1f0d2c3b4a596',
  })
  id!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  event_type!: WebhookEventType;

  @ApiProperty({ example: 'job_abc123' })
  job_id!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'pending (will be tried), delivered (a 2xx answer) or failed (gave up).' })
  status!: (typeof DELIVERY_STATUSES)[number];

  @ApiProperty({ description: 'Attempts made so far.' })
  attempts!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last answer; null when none came.' })
  last_status_code!: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'answered 503: upstream busy' })
  last_error!: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_attempt_at!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When the next attempt is due (pending deliveries).' })
  next_attempt_at!: string | null;

  @ApiProperty({ nullable: true, type: String })
  delivered_at!: string | null;

  @ApiProperty()
  created_at!: string;
}

export class SautiWebhookDeliveryListDto {
  @ApiProperty({ type: [SautiWebhookDeliveryDto], description: 'Newest first.' })
  deliveries!: SautiWebhookDeliveryDto[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as `before` for the next page; null on the last page.' })
  next_before!: string | null;
}

export class SautiWebhookDeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'A delivery id: list the deliveries older than it (the previous page’s next_before).' })
  @IsOptional()
  @IsString()
  @Matches(/^msg_[0-9a-f]{32}$/, { message: 'must be a delivery id (msg_…)' })
  before?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}
