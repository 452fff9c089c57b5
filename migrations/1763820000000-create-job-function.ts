import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job creation as one database function, so creating a job is one round trip instead of a
 * transaction of six (begin, lock the tenant, count its active jobs, insert, reserve, commit), with
 * the same guarantees: the tenant row's lock serialises that tenant's creations so the active-job
 * cap is exact, and the row and its reservation commit or vanish together (a failed reservation
 * raises SC402 from reserve_credits, a reused idempotency key raises 23505 from the unique index).
 * Over the cap, nothing is written and the function answers the count and the cap instead of a time.
 */
export class CreateJobFunction1763820000000 implements MigrationInterface {
  name = 'CreateJobFunction1763820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION create_synthesis_job(
        p_id varchar, p_tenant uuid, p_face varchar, p_request jsonb, p_request_hash char(64), p_idempotency_key varchar,
        p_characters integer, p_credits bigint, p_result_ttl_seconds integer, p_default_max_active integer)
      RETURNS TABLE (created_at timestamptz, active integer, active_limit integer)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_limit integer;
        v_active integer;
        v_created timestamptz;
      BEGIN
        SELECT COALESCE(t.max_active_jobs, p_default_max_active) INTO v_limit FROM tenants t WHERE t.id = p_tenant FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'tenant % does not exist', p_tenant USING ERRCODE = 'SC404';
        END IF;
        SELECT count(*)::integer INTO v_active FROM synthesis_jobs j WHERE j.tenant_id = p_tenant AND j.status IN ('queued', 'running');
        IF v_active >= v_limit THEN
          RETURN QUERY SELECT NULL::timestamptz, v_active, v_limit;
          RETURN;
        END IF;
        INSERT INTO synthesis_jobs (id, tenant_id, face, status, request, request_hash, idempotency_key, characters, credits, result_ttl_seconds, attempts)
          VALUES (p_id, p_tenant, p_face, 'queued', p_request, p_request_hash, p_idempotency_key, p_characters, p_credits, p_result_ttl_seconds, 0)
          RETURNING synthesis_jobs.created_at INTO v_created;
        PERFORM reserve_credits(p_tenant, p_credits, p_id);
        RETURN QUERY SELECT v_created, v_active, v_limit;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION create_synthesis_job(varchar, uuid, varchar, jsonb, char, varchar, integer, bigint, integer, integer)`,
    );
  }
}
