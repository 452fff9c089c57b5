import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `refund_cache_hit()`: a streamed cache hit whose first byte never reached the client is given back,
 * so a hit follows the one rule of a request (docs/architecture.md, "Billing"): a hang-up before the
 * first byte costs nothing. The hit was charged by the statement that read it (take_cache_hit()), a
 * moment before the answer's first write.
 *
 * The refund is a `release` entry of the hit's amount under its reference (credit_ledger_one_outcome
 * admits one, so a second refund does nothing), the balance back, the key's spend back, and the usage
 * event moved from `succeeded` to `cancelled` with its charge refunded, in the hourly rollup as well.
 * Returns false when there is no such hit, or it was refunded already.
 */
export class CacheHitRefund1763930000000 implements MigrationInterface {
  name = 'CacheHitRefund1763930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION refund_cache_hit(p_reference varchar) RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_tenant uuid;
        v_charged bigint;
        v_event usage_events%ROWTYPE;
      BEGIN
        SELECT tenant_id, -amount INTO v_tenant, v_charged FROM credit_ledger WHERE reference = p_reference AND kind = 'cache_hit';
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, 'release', v_charged, p_reference)
          ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        IF v_charged > 0 THEN
          UPDATE tenants SET credit_balance = credit_balance + v_charged WHERE id = v_tenant;
        END IF;
        SELECT * INTO v_event FROM usage_events WHERE reference = p_reference AND status = 'succeeded' FOR UPDATE;
        IF FOUND THEN
          -- Rows in the order every billing statement takes them: tenant, key, then the rollup.
          IF v_charged > 0 AND v_event.api_key_id IS NOT NULL THEN
            UPDATE api_keys SET period_spent = GREATEST(0, period_spent - v_charged)
             WHERE id = v_event.api_key_id AND period_start = budget_period_start(budget_period, v_event.created_at);
          END IF;
          -- Out of the rollup as it was counted, then in again as it ends now.
          PERFORM roll_up_usage(v_event, -1, -(v_event.reserved - v_event.refunded), -v_event.refunded,
                                CASE WHEN v_event.cache_hit THEN -1 ELSE 0 END);
          UPDATE usage_events SET refunded = reserved, status = 'cancelled', finished_at = now()
           WHERE reference = p_reference
          RETURNING * INTO v_event;
          PERFORM roll_up_usage(v_event, 1, 0, v_event.refunded, CASE WHEN v_event.cache_hit THEN 1 ELSE 0 END);
        END IF;
        RETURN true;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION refund_cache_hit(varchar)`);
  }
}
