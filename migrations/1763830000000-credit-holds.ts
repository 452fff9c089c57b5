import { MigrationInterface, QueryRunner } from 'typeorm';

/** hold_credits()'s one statement (migration BillingHelpersInPlpgsql wraps it in PL/pgSQL). */
export const HOLD_CREDITS_STATEMENT = `INSERT INTO credit_holds (reference, tenant_id, owner, deadline)
        VALUES (p_reference, p_tenant, p_owner, now() + make_interval(secs => p_seconds))
        ON CONFLICT (reference) DO NOTHING`;

/**
 * Who holds a request's credit reservation, and until when. A synchronous or streamed request reserves
 * credits under its own reference (`sync_…`, `openai_stream_…`) and settles or releases them when it
 * ends. If its process dies first, or cannot reach PostgreSQL to finish, the reservation would stay
 * open for ever. Each such reservation now has a hold: the owning process (host:pid:boot) and a
 * deadline that the process pushes forward while the request lives. The worker's maintenance
 * releases reservations whose deadline has passed (on a crash the customer is favoured).
 *
 * The hold ends with the reservation: a trigger deletes it when the settle or release row is
 * written, whoever writes it (finish_reservation, a job's transaction, the sweeper). Job reservations
 * have no hold: their row, the outbox, carries them to an end.
 *
 * hold_credits() writes the hold; a request calls it in the same statement as reserve_credits(), so
 * both commit or neither does. reserve_credits() and finish_reservation() are unchanged.
 */
export class CreditHolds1763830000000 implements MigrationInterface {
  name = 'CreditHolds1763830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE credit_holds (
        reference varchar(200) PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        owner varchar(200) NOT NULL,
        deadline timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX credit_holds_deadline ON credit_holds (deadline)`);
    await queryRunner.query(`CREATE INDEX credit_holds_owner ON credit_holds (owner)`);
    await queryRunner.query(`
      CREATE FUNCTION hold_credits(p_reference varchar, p_tenant uuid, p_owner varchar, p_seconds integer) RETURNS void
      LANGUAGE sql AS $$ ${HOLD_CREDITS_STATEMENT} $$`);
    await queryRunner.query(`
      CREATE FUNCTION end_credit_hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM credit_holds WHERE reference = NEW.reference;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER credit_ledger_ends_hold AFTER INSERT ON credit_ledger
        FOR EACH ROW WHEN (NEW.kind IN ('settle', 'release')) EXECUTE FUNCTION end_credit_hold()`);
    // Request reservations left open before holds existed (issue: a settle and its release both
    // failed during a database restart). They get an owner nobody is, and five minutes for any
    // request still running on a process of the previous version to finish them itself.
    await queryRunner.query(`
      INSERT INTO credit_holds (reference, tenant_id, owner, deadline)
      SELECT r.reference, r.tenant_id, 'before-credit-holds', now() + interval '5 minutes'
        FROM credit_ledger r
       WHERE r.kind = 'reserve'
         AND NOT EXISTS (SELECT 1 FROM credit_ledger o WHERE o.reference = r.reference AND o.kind IN ('settle', 'release'))
         AND NOT EXISTS (SELECT 1 FROM synthesis_jobs j WHERE j.id = r.reference)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER credit_ledger_ends_hold ON credit_ledger`);
    await queryRunner.query(`DROP FUNCTION end_credit_hold()`);
    await queryRunner.query(`DROP FUNCTION hold_credits(varchar, uuid, varchar, integer)`);
    await queryRunner.query(`DROP TABLE credit_holds`);
  }
}
