import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reserve and settle/release as database functions: one round trip each instead of a transaction of
 * four, with the same guarantees (the conditional UPDATE decides; the ledger's unique indexes make
 * every call idempotent). A failed reservation raises SQLSTATE SC402, which aborts the statement and
 * any surrounding transaction, so the ledger row it inserted disappears with it.
 */
export class CreditFunctions1763810000000 implements MigrationInterface {
  name = 'CreditFunctions1763810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION reserve_credits(p_tenant uuid, p_amount bigint, p_reference varchar) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'reserve', -p_amount, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF NOT FOUND THEN
          RETURN; -- already reserved under this reference: hold once
        END IF;
        UPDATE tenants SET credit_balance = credit_balance - p_amount WHERE id = p_tenant AND credit_balance >= p_amount;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SC402';
        END IF;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION finish_reservation(p_reference varchar, p_kind varchar, p_charged bigint) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        v_tenant uuid;
        v_reserved bigint;
        v_refund bigint;
      BEGIN
        SELECT tenant_id, -amount INTO v_tenant, v_reserved FROM credit_ledger WHERE reference = p_reference AND kind = 'reserve';
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        v_refund := CASE WHEN p_kind = 'release' THEN v_reserved
                         ELSE v_reserved - LEAST(v_reserved, GREATEST(0, COALESCE(p_charged, v_reserved))) END;
        -- credit_ledger_one_outcome admits exactly one settle-or-release per reference.
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, p_kind, v_refund, p_reference)
          ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        IF v_refund > 0 THEN
          UPDATE tenants SET credit_balance = credit_balance + v_refund WHERE id = v_tenant;
        END IF;
        RETURN true;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION finish_reservation(varchar, varchar, bigint)`);
    await queryRunner.query(`DROP FUNCTION reserve_credits(uuid, bigint, varchar)`);
  }
}
