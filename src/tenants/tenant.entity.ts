import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../database/bigint.transformer';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Spendable credits; reservations are already deducted. CHECK (credit_balance >= 0). */
  @Column({ name: 'credit_balance', type: 'bigint', transformer: bigintAsNumber, default: 0 })
  creditBalance!: number;

  @Column({ name: 'rate_limit_requests_per_minute', type: 'integer', nullable: true })
  requestsPerMinute!: number | null;

  @Column({ name: 'rate_limit_job_creates_per_minute', type: 'integer', nullable: true })
  jobCreatesPerMinute!: number | null;

  @Column({ name: 'rate_limit_job_polls_per_minute', type: 'integer', nullable: true })
  jobPollsPerMinute!: number | null;

  @Column({ name: 'max_active_jobs', type: 'integer', nullable: true })
  maxActiveJobs!: number | null;

  /** The balance below which a crossing is recorded (low_balance_events); null: no signal. */
  @Column({ name: 'low_balance_threshold', type: 'bigint', transformer: bigintAsNumber, nullable: true })
  lowBalanceThreshold!: number | null;

  /** A crossing was recorded and no top-up has lifted the balance back to the threshold since. */
  @Column({ name: 'low_balance_alerted', type: 'boolean', default: false })
  lowBalanceAlerted!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
