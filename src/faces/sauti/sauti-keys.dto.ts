import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, MaxLength, Min, MinLength } from 'class-validator';
import { Transform } from 'class-transformer';
import { BUDGET_PERIODS, BudgetPeriod } from '../../tenants/api-key.entity';

const LIMIT_DESCRIPTION =
  'Credits the key may spend per period (reservations minus refunds); null or absent: no budget, only the account balance limits it. ' +
  'A request that would take the key over answers 402 key_budget_exceeded with Retry-After at the end of the period.';
const PERIOD_DESCRIPTION =
  'The budget period, in UTC: a calendar day, a calendar month, or none (a cap on everything the key ever spends).';

export class SautiCreateKeyDto {
  @ApiPropertyOptional({ description: 'A label for people.', maxLength: 200, example: 'staging' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: LIMIT_DESCRIPTION, type: Number, nullable: true, minimum: 0, example: 5000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  credit_limit?: number | null;

  @ApiPropertyOptional({ description: PERIOD_DESCRIPTION, enum: BUDGET_PERIODS, default: 'month' })
  @IsOptional()
  @IsIn(BUDGET_PERIODS)
  period?: BudgetPeriod;
}

export class SautiUpdateKeyDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: `${LIMIT_DESCRIPTION} Send null to remove the budget.`, type: Number, nullable: true, minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  credit_limit?: number | null;

  @ApiPropertyOptional({
    description: `${PERIOD_DESCRIPTION} A new period counts what the key already spent in it.`,
    enum: BUDGET_PERIODS,
  })
  @IsOptional()
  @IsIn(BUDGET_PERIODS)
  period?: BudgetPeriod;
}

export class SautiKeysQueryDto {
  @ApiPropertyOptional({ description: 'true also lists deleted (revoked) keys, so old usage rows can be named.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  include_revoked?: boolean;
}

export class SautiKeySpendDto {
  @ApiProperty({ type: Number, nullable: true, example: 5000 })
  credit_limit!: number | null;

  @ApiProperty({ enum: BUDGET_PERIODS, example: 'month' })
  period!: BudgetPeriod;

  @ApiProperty({ description: 'Credits spent in the current period: reserved minus refunded (running requests count).', example: 1200 })
  spent!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Left before key_budget_exceeded; null without a budget.', example: 3800 })
  remaining!: number | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-03-01T00:00:00.000Z' })
  period_start!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When the spend starts again from zero; null for period none.' })
  resets_at!: string | null;
}

export class SautiApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'staging' })
  name!: string;

  @ApiProperty({ description: 'The first characters of the key, to recognise it; never the secret.', example: 'sk_sauti_Ab3dE9' })
  prefix!: string;

  @ApiProperty()
  created_at!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Recorded in batches: up to 30 seconds late.' })
  last_used_at!: string | null;

  @ApiProperty({ type: String, nullable: true })
  revoked_at!: string | null;

  @ApiProperty({ type: SautiKeySpendDto })
  budget!: SautiKeySpendDto;
}

export class SautiCreatedApiKeyDto extends SautiApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown only in this answer, only its hash is stored.', example: 'sk_sauti_…' })
  secret!: string;
}

export class SautiApiKeyListDto {
  @ApiProperty({ type: [SautiApiKeyDto] })
  keys!: SautiApiKeyDto[];
}
