import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../database/bigint.transformer';

/** `cache_hit`: a cached answer charged directly (reference = its request or job id); reports count it as a cache hit. */
export type LedgerKind = 'topup' | 'reserve' | 'settle' | 'release' | 'cache_hit';

/**
 * Append-only. `amount` is the change to the tenant's balance (reserve negative, release positive,
 * settle the refund of any over-reservation, cache_hit the negative charge of an answer served from
 * the audio cache), so the balance always equals the sum of amounts.
 */
@Entity({ name: 'credit_ledger' })
export class CreditLedgerEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: LedgerKind;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  /** Job id, request id or top-up id: UNIQUE (reference, kind), and one settle-or-release per reference. */
  @Column({ type: 'varchar', length: 200 })
  reference!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
