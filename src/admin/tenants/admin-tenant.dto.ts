import type { KeySpend } from '../../tenants/key-budget';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export class AdminTenantQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name (case-insensitive), or a whole tenant id.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ default: 25, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit = 25;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

export class AdminCreateTenantDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ example: 100000, description: 'Opening credits (a top-up in the ledger).', default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  credits = 0;
}

export class AdminTopUpDto {
  @ApiProperty({ example: 5000, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount!: number;
}

export class AdminCreateKeyDto {
  @ApiPropertyOptional({ example: 'staging', default: 'dashboard' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name = 'dashboard';
}

export class VoiceUsageDto {
  @ApiProperty({ example: 'sauti-swahili-v1' })
  voice!: string;

  @ApiProperty()
  jobs!: number;

  @ApiProperty()
  characters!: number;
}

export class AdminTenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  created_at!: Date;

  @ApiProperty({ description: 'Spendable credits (reservations already deducted).' })
  balance!: number;

  @ApiProperty({ description: 'Credits held by requests and jobs in progress.' })
  reserved!: number;

  @ApiProperty({ description: 'Credits charged since 00:00 UTC.' })
  spend_today!: number;

  @ApiProperty({ description: 'Credits charged since the 1st of the month, UTC.' })
  spend_month!: number;

  @ApiProperty({ type: [VoiceUsageDto], description: 'Most used voices this month, by async jobs (at most 3).' })
  top_voices!: VoiceUsageDto[];
}

export class AdminTenantPageDto {
  @ApiProperty()
  total!: number;

  @ApiProperty({ type: [AdminTenantDto] })
  tenants!: AdminTenantDto[];
}

export class AdminApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ example: 'sk_sauti_Ab12Cd', description: 'The first characters, to recognise it.' })
  prefix!: string;

  @ApiProperty()
  created_at!: Date;

  @ApiProperty({ nullable: true, type: Date })
  last_used_at!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  revoked_at!: Date | null;

  @ApiProperty({
    description:
      'The key budget (credit_limit per UTC day, month or none; null limit: no budget) and its spend this period (docs/usage.md).',
    example: {
      credit_limit: 5000,
      period: 'month',
      spent: 1200,
      remaining: 3800,
      period_start: '2026-03-01T00:00:00.000Z',
      resets_at: '2026-04-01T00:00:00.000Z',
    },
  })
  budget!: KeySpend;
}

export class AdminCreatedKeyDto extends AdminApiKeyDto {
  @ApiProperty({ description: 'The key itself, shown this once; only its SHA-256 is stored.', example: 'sk_sauti_…' })
  secret!: string;
}

export class AdminCreatedTenantDto {
  @ApiProperty({ type: AdminTenantDto })
  tenant!: AdminTenantDto;

  @ApiProperty({ type: AdminCreatedKeyDto })
  api_key!: AdminCreatedKeyDto;
}

export class AdminBalanceDto {
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty()
  balance!: number;
}
