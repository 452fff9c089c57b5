import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An operator's key to the admin API and dashboard, made with `npm run cli -- admin-keys create`. */
@Entity({ name: 'admin_keys' })
export class AdminKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Hex SHA-256 of the key; the plaintext is shown once and never stored. */
  @Column({ name: 'key_hash', type: 'char', length: 64, unique: true })
  keyHash!: string;

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
}
