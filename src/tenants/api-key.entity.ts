import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../database/bigint.transformer';

/** A key budget's period: a UTC day, a UTC month, or `none` (a cap on everything the key ever spends). */
export type BudgetPeriod = 'day' | 'month' | 'none';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'none'];

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  /** Hex SHA-256 of the key; the plaintext is never stored. */
  @Column({ name: 'key_hash', type: 'char', length: 64, unique: true })
  keyHash!: string;

  /** The first characters of the key, for people to recognise it in lists. */
  @Column({ type: 'varchar', length: 32 })
  prefix!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Credits the key may spend per `budgetPeriod`; null: no budget (the tenant's balance is the only limit). */
  @Column({ name: 'credit_limit', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  creditLimit!: number | null;

  @Column({ name: 'budget_period', type: 'varchar', length: 8, default: 'month' })
  budgetPeriod!: BudgetPeriod;

  /** Start of the period `periodSpent` counts (written by reserve_credits; an older start means nothing spent yet this period). */
  @Column({ name: 'period_start', type: 'timestamptz', default: () => "'epoch'" })
  periodStart!: Date;

  /** Credits reserved by the key in that period, minus refunds. */
  @Column({ name: 'period_spent', type: 'bigint', transformer: bigintAsNumber, default: 0 })
  periodSpent!: number;
}
