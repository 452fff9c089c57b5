import { MigrationInterface, QueryRunner } from 'typeorm';

/** roll_up_usage()'s one statement (migration BillingHelpersInPlpgsql wraps it in PL/pgSQL). */
export const ROLL_UP_USAGE_STATEMENT = `INSERT INTO usage_hourly AS u (tenant_id, hour, api_key_id, face, voice, provider, status,
                                       requests, characters, audio_seconds, charged, refunded, cache_hits)
        VALUES (e.tenant_id, date_trunc('hour', e.created_at, 'UTC'), COALESCE(e.api_key_id, '00000000-0000-0000-0000-000000000000'),
                COALESCE(e.face, ''), COALESCE(e.voice, ''), COALESCE(e.provider, ''), e.status,
                p_requests, p_requests * e.characters, p_requests * COALESCE(e.audio_seconds, 0), p_charged, p_refunded, p_cache_hits)
        ON CONFLICT (tenant_id, hour, api_key_id, face, voice, provider, status) DO UPDATE SET
          requests = u.requests + EXCLUDED.requests, characters = u.characters + EXCLUDED.characters,
          audio_seconds = u.audio_seconds + EXCLUDED.audio_seconds, charged = u.charged + EXCLUDED.charged,
          refunded = u.refunded + EXCLUDED.refunded, cache_hits = u.cache_hits + EXCLUDED.cache_hits`;

/**
 * Usage reporting and per-key budgets (docs/usage.md).
 *
 * - `usage_events`: one row per billed reference (a request or a job), written by reserve_credits()
 *   in the statement that reserves, and completed by finish_reservation() in the statement that
 *   settles or releases. It carries what the ledger does not: key, face, voice, provider, characters,
 *   audio seconds, outcome. The ledger stays the money record; this is its attribution, one row per
 *   reference instead of two, so a report needs no self-join of the ledger.
 * - `usage_hourly`: the finished events summed per tenant, UTC hour and attribution, upserted by the
 *   same statement that finishes an event. A month of a busy tenant is then a few ten thousand rows
 *   instead of a million; edges of a range that do not fall on an hour are read from the events.
 * - `api_keys.credit_limit` / `budget_period` / `period_start` / `period_spent`: the key's spend in its
 *   current period (reservations minus refunds), checked and counted by the UPDATE that reserves.
 * - `tenants.low_balance_threshold` and `low_balance_events`: a crossing below the threshold is
 *   recorded once by a trigger on the balance, re-armed by a top-up or a new threshold.
 * - The audio cache's charges (migration AudioCache, ledger kind `cache_hit`): charge_cache_hit() and
 *   settle_job_as_cache_hit() now write and complete usage events too, and a request's hit is charged
 *   to its key's budget like a reservation.
 *
 * Lock order everywhere: the tenant row, then the key row, then the rollup row (no deadlocks between
 * a job creation, a request reservation and a finish).
 */
export class UsageAndKeyBudgets1763890000000 implements MigrationInterface {
  name = 'UsageAndKeyBudgets1763890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN credit_limit bigint CONSTRAINT api_keys_credit_limit_non_negative CHECK (credit_limit >= 0),
        ADD COLUMN budget_period varchar(8) NOT NULL DEFAULT 'month' CONSTRAINT api_keys_budget_period_known CHECK (budget_period IN ('day', 'month', 'none')),
        ADD COLUMN period_start timestamptz NOT NULL DEFAULT 'epoch',
        ADD COLUMN period_spent bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      CREATE FUNCTION budget_period_start(p_period varchar, p_at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE p_period WHEN 'day' THEN date_trunc('day', p_at, 'UTC')
                             WHEN 'month' THEN date_trunc('month', p_at, 'UTC')
                             ELSE 'epoch'::timestamptz END
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION budget_period_end(p_period varchar, p_at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE p_period WHEN 'day' THEN (date_trunc('day', p_at AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC'
                             WHEN 'month' THEN (date_trunc('month', p_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
                             ELSE NULL END
      $$`);

    await queryRunner.query(`
      CREATE TABLE usage_events (
        reference varchar(200) PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        api_key_id uuid,
        face varchar(16),
        voice varchar(300),
        provider varchar(100),
        characters integer NOT NULL DEFAULT 0,
        audio_seconds double precision,
        reserved bigint NOT NULL DEFAULT 0,
        refunded bigint NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'succeeded', 'failed', 'cancelled')),
        cache_hit boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX usage_events_tenant_created ON usage_events (tenant_id, created_at)`);
    // What a tenant has reserved and not yet finished (GET /v1/account, the Fish profile), without reading its whole history.
    await queryRunner.query(`CREATE INDEX usage_events_open ON usage_events (tenant_id) WHERE status = 'open'`);
    await queryRunner.query(`
      CREATE TABLE usage_hourly (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        hour timestamptz NOT NULL,
        api_key_id uuid NOT NULL,
        face varchar(16) NOT NULL,
        voice varchar(300) NOT NULL,
        provider varchar(100) NOT NULL,
        status varchar(16) NOT NULL,
        requests bigint NOT NULL,
        characters bigint NOT NULL,
        audio_seconds double precision NOT NULL,
        charged bigint NOT NULL,
        refunded bigint NOT NULL,
        cache_hits bigint NOT NULL,
        PRIMARY KEY (tenant_id, hour, api_key_id, face, voice, provider, status)
      )`);
    // Unknown attribution is stored as the nil UUID and '' (a primary key admits no NULL); the report shows null.
    await queryRunner.query(`
      CREATE FUNCTION roll_up_usage(e usage_events, p_requests integer, p_charged bigint, p_refunded bigint, p_cache_hits integer) RETURNS void
      LANGUAGE sql AS $$ ${ROLL_UP_USAGE_STATEMENT} $$`);

    // The budget check and the count are one conditional UPDATE: concurrent charges on a key queue on
    // its row and each re-reads the spend before deciding, so none can overspend it.
    await queryRunner.query(`
      CREATE FUNCTION charge_key_budget(p_api_key uuid, p_amount bigint) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_key api_keys%ROWTYPE;
        v_spent bigint;
      BEGIN
        UPDATE api_keys k
           SET period_spent = CASE WHEN k.period_start = budget_period_start(k.budget_period, now()) THEN k.period_spent ELSE 0 END + p_amount,
               period_start = budget_period_start(k.budget_period, now())
         WHERE k.id = p_api_key
           AND (k.credit_limit IS NULL
                OR CASE WHEN k.period_start = budget_period_start(k.budget_period, now()) THEN k.period_spent ELSE 0 END + p_amount <= k.credit_limit);
        IF FOUND THEN
          RETURN;
        END IF;
        SELECT * INTO v_key FROM api_keys WHERE id = p_api_key;
        IF FOUND THEN
          v_spent := CASE WHEN v_key.period_start = budget_period_start(v_key.budget_period, now()) THEN v_key.period_spent ELSE 0 END;
          RAISE EXCEPTION 'key budget exceeded' USING ERRCODE = 'SB402', DETAIL = json_build_object(
            'credit_limit', v_key.credit_limit, 'spent', v_spent, 'period', v_key.budget_period,
            'retry_after_seconds', ceil(extract(epoch FROM budget_period_end(v_key.budget_period, now()) - clock_timestamp())))::text;
        END IF;
      END $$`);

    await queryRunner.query(`DROP FUNCTION reserve_credits(uuid, bigint, varchar)`);
    await queryRunner.query(`
      CREATE FUNCTION reserve_credits(p_tenant uuid, p_amount bigint, p_reference varchar, p_api_key uuid DEFAULT NULL,
                                      p_face varchar DEFAULT NULL, p_voice varchar DEFAULT NULL, p_characters integer DEFAULT NULL)
      RETURNS void LANGUAGE plpgsql AS $$
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
        IF p_api_key IS NOT NULL THEN
          PERFORM charge_key_budget(p_api_key, p_amount);
        END IF;
        -- A reference a cache hit already reported stays as reported: reporting never refuses a reservation.
        INSERT INTO usage_events (reference, tenant_id, api_key_id, face, voice, characters, reserved)
          VALUES (p_reference, p_tenant, p_api_key, p_face, p_voice, COALESCE(p_characters, 0), p_amount)
          ON CONFLICT (reference) DO NOTHING;
      END $$`);

    await queryRunner.query(`DROP FUNCTION finish_reservation(varchar, varchar, bigint)`);
    await queryRunner.query(`
      CREATE FUNCTION finish_reservation(p_reference varchar, p_kind varchar, p_charged bigint, p_status varchar DEFAULT NULL,
                                         p_provider varchar DEFAULT NULL, p_audio_seconds double precision DEFAULT NULL)
      RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_tenant uuid;
        v_reserved bigint;
        v_refund bigint;
        v_event usage_events%ROWTYPE;
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
        UPDATE usage_events
           SET refunded = v_refund,
               status = COALESCE(p_status, CASE WHEN p_kind = 'settle' THEN 'succeeded' ELSE 'failed' END),
               provider = COALESCE(p_provider, provider),
               audio_seconds = COALESCE(p_audio_seconds, audio_seconds),
               finished_at = now()
         WHERE reference = p_reference AND status = 'open'
        RETURNING * INTO v_event;
        IF FOUND THEN
          IF v_refund > 0 AND v_event.api_key_id IS NOT NULL THEN
            UPDATE api_keys SET period_spent = GREATEST(0, period_spent - v_refund)
             WHERE id = v_event.api_key_id AND period_start = budget_period_start(budget_period, v_event.created_at);
          END IF;
          PERFORM roll_up_usage(v_event, 1, v_event.reserved - v_event.refunded, v_event.refunded, CASE WHEN v_event.cache_hit THEN 1 ELSE 0 END);
        END IF;
        RETURN true;
      END $$`);

    // A cache_hit ledger row (migration AudioCache). charge_cache_hit() below writes its usage event
    // itself, so this finds it flagged and does nothing. A job settled as a hit (settle_job_as_cache_hit:
    // its reservation refunded whole, then the hit charged) has a finished event: the hit's charge is
    // added to it, to its rollup and to its key's spend. A hit under no event (written by other code) is
    // an unattributed finished event of its own.
    await queryRunner.query(`
      CREATE FUNCTION record_cache_hit() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_event usage_events%ROWTYPE;
      BEGIN
        UPDATE usage_events SET cache_hit = true, refunded = CASE WHEN status = 'open' THEN refunded ELSE refunded + NEW.amount END
         WHERE reference = NEW.reference AND NOT cache_hit
        RETURNING * INTO v_event;
        IF FOUND THEN
          IF v_event.status <> 'open' THEN
            PERFORM roll_up_usage(v_event, 0, -NEW.amount, NEW.amount, 1);
            IF v_event.api_key_id IS NOT NULL AND NEW.amount < 0 THEN
              UPDATE api_keys SET period_spent = period_spent - NEW.amount
               WHERE id = v_event.api_key_id AND period_start = budget_period_start(budget_period, v_event.created_at);
            END IF;
          END IF;
          RETURN NULL;
        END IF;
        INSERT INTO usage_events (reference, tenant_id, reserved, refunded, status, cache_hit, created_at, finished_at)
          VALUES (NEW.reference, NEW.tenant_id, -NEW.amount, 0, 'succeeded', true, NEW.created_at, NEW.created_at)
          ON CONFLICT (reference) DO NOTHING
          RETURNING * INTO v_event;
        IF FOUND THEN
          PERFORM roll_up_usage(v_event, 1, v_event.reserved, 0, 1);
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER credit_ledger_cache_hit AFTER INSERT ON credit_ledger
        FOR EACH ROW WHEN (NEW.kind = 'cache_hit') EXECUTE FUNCTION record_cache_hit()`);
    await queryRunner.query(`DROP FUNCTION charge_cache_hit(uuid, bigint, varchar)`);
    await queryRunner.query(`
      CREATE FUNCTION charge_cache_hit(p_tenant uuid, p_amount bigint, p_reference varchar, p_api_key uuid DEFAULT NULL,
                                       p_face varchar DEFAULT NULL, p_voice varchar DEFAULT NULL, p_characters integer DEFAULT NULL,
                                       p_provider varchar DEFAULT NULL, p_audio_seconds double precision DEFAULT NULL)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_event usage_events%ROWTYPE;
      BEGIN
        -- The usage event first, finished and flagged, so the ledger's trigger finds it and adds nothing.
        INSERT INTO usage_events (reference, tenant_id, api_key_id, face, voice, provider, characters, audio_seconds,
                                  reserved, refunded, status, cache_hit, finished_at)
          VALUES (p_reference, p_tenant, p_api_key, p_face, p_voice, p_provider, COALESCE(p_characters, 0), p_audio_seconds,
                  p_amount, 0, 'succeeded', true, now())
          ON CONFLICT (reference) DO NOTHING
          RETURNING * INTO v_event;
        IF NOT FOUND THEN
          RETURN; -- already charged under this reference
        END IF;
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'cache_hit', -p_amount, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        UPDATE tenants SET credit_balance = credit_balance - p_amount WHERE id = p_tenant AND credit_balance >= p_amount;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SC402';
        END IF;
        IF p_api_key IS NOT NULL THEN
          PERFORM charge_key_budget(p_api_key, p_amount);
        END IF;
        PERFORM roll_up_usage(v_event, 1, p_amount, 0, 1);
      END $$`);
    await queryRunner.query(`DROP FUNCTION settle_job_as_cache_hit(varchar, bigint)`);
    await queryRunner.query(`
      CREATE FUNCTION settle_job_as_cache_hit(p_reference varchar, p_amount bigint, p_provider varchar DEFAULT NULL,
                                              p_audio_seconds double precision DEFAULT NULL)
      RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_tenant uuid;
        v_reserved bigint;
        v_charge bigint;
      BEGIN
        SELECT tenant_id, -amount INTO v_tenant, v_reserved FROM credit_ledger WHERE reference = p_reference AND kind = 'reserve';
        IF NOT FOUND OR NOT finish_reservation(p_reference, 'settle', 0, 'succeeded', p_provider, p_audio_seconds) THEN
          RETURN false;
        END IF;
        -- The whole reservation came back just now, so the balance covers the (smaller) hit charge.
        v_charge := LEAST(GREATEST(p_amount, 0), v_reserved);
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, 'cache_hit', -v_charge, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF FOUND AND v_charge > 0 THEN
          UPDATE tenants SET credit_balance = credit_balance - v_charge WHERE id = v_tenant;
        END IF;
        RETURN true;
      END $$`);

    // The job's key, kept on its row and passed to reserve_credits (the ten-argument version stays for callers without a key).
    await queryRunner.query(`ALTER TABLE synthesis_jobs ADD COLUMN api_key_id uuid`);
    await queryRunner.query(`
      CREATE FUNCTION create_synthesis_job(
        p_id varchar, p_tenant uuid, p_face varchar, p_request jsonb, p_request_hash char(64), p_idempotency_key varchar,
        p_characters integer, p_credits bigint, p_result_ttl_seconds integer, p_default_max_active integer, p_api_key uuid)
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
        INSERT INTO synthesis_jobs (id, tenant_id, api_key_id, face, status, request, request_hash, idempotency_key, characters, credits,
                                    result_ttl_seconds, attempts)
          VALUES (p_id, p_tenant, p_api_key, p_face, 'queued', p_request, p_request_hash, p_idempotency_key, p_characters, p_credits,
                  p_result_ttl_seconds, 0)
          RETURNING synthesis_jobs.created_at INTO v_created;
        PERFORM reserve_credits(p_tenant, p_credits, p_id, p_api_key, p_face, usage_voice(p_request), p_characters);
        RETURN QUERY SELECT v_created, v_active, v_limit;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION usage_voice(p_request jsonb) RETURNS varchar LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN p_request->>'voice' IS NULL THEN p_request->>'route' ELSE (p_request->>'route') || ':' || (p_request->>'voice') END
      $$`);

    await queryRunner.query(`
      ALTER TABLE tenants
        ADD COLUMN low_balance_threshold bigint CONSTRAINT tenants_low_balance_threshold_non_negative CHECK (low_balance_threshold >= 0),
        ADD COLUMN low_balance_alerted boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`
      CREATE TABLE low_balance_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        threshold bigint NOT NULL,
        balance bigint NOT NULL,
        crossed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX low_balance_events_tenant_crossed ON low_balance_events (tenant_id, crossed_at)`);
    await queryRunner.query(`
      CREATE FUNCTION record_low_balance() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        v_id bigint;
      BEGIN
        NEW.low_balance_alerted := true;
        INSERT INTO low_balance_events (tenant_id, threshold, balance) VALUES (NEW.id, NEW.low_balance_threshold, NEW.credit_balance)
          RETURNING id INTO v_id;
        -- The webhook outbox, in the same transaction: the worker's relay enqueues pending deliveries.
        INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, event_type, job_id, status, next_attempt_at)
        SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, e.tenant_id, 'account.low_balance', 'low_balance_' || v_id, 'pending', now()
          FROM webhook_endpoints e WHERE e.tenant_id = NEW.id AND e.enabled AND 'account.low_balance' = ANY(e.events);
        RETURN NEW;
      END $$`);
    // The WHEN clause keeps the function out of every balance change that is not a crossing.
    await queryRunner.query(`
      CREATE TRIGGER tenants_low_balance BEFORE UPDATE ON tenants FOR EACH ROW
        WHEN (NEW.low_balance_threshold IS NOT NULL AND NOT NEW.low_balance_alerted AND NEW.credit_balance < NEW.low_balance_threshold)
        EXECUTE FUNCTION record_low_balance()`);

    await this.backfill(queryRunner);
  }

  /** Reservations made before this migration, attributed from their job rows where they are jobs. */
  private async backfill(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      INSERT INTO usage_events (reference, tenant_id, face, voice, provider, characters, reserved, refunded, status, created_at, finished_at)
      SELECT r.reference, r.tenant_id, j.face, usage_voice(j.request), j.provider, COALESCE(j.characters, 0), -r.amount,
             COALESCE(o.amount, 0),
             CASE WHEN o.kind IS NULL THEN 'open' WHEN o.kind = 'settle' THEN 'succeeded' ELSE 'failed' END,
             r.created_at, o.created_at
        FROM credit_ledger r
        LEFT JOIN credit_ledger o ON o.reference = r.reference AND o.kind IN ('settle', 'release')
        LEFT JOIN synthesis_jobs j ON j.id = r.reference
       WHERE r.kind = 'reserve'`);
    // Cache hits charged before: a job's adds its charge to its event, a request's is an event of its own.
    await queryRunner.query(`
      INSERT INTO usage_events AS u (reference, tenant_id, reserved, refunded, status, cache_hit, created_at, finished_at)
      SELECT reference, tenant_id, -amount, 0, 'succeeded', true, created_at, created_at FROM credit_ledger WHERE kind = 'cache_hit'
      ON CONFLICT (reference) DO UPDATE SET cache_hit = true, refunded = u.refunded - EXCLUDED.reserved`);
    await queryRunner.query(
      `SELECT roll_up_usage(e, 1, e.reserved - e.refunded, e.refunded, CASE WHEN e.cache_hit THEN 1 ELSE 0 END) FROM usage_events e WHERE e.status <> 'open'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tenants_low_balance ON tenants`);
    await queryRunner.query(`DROP FUNCTION record_low_balance()`);
    await queryRunner.query(`DROP TABLE low_balance_events`);
    await queryRunner.query(`ALTER TABLE tenants DROP COLUMN low_balance_threshold, DROP COLUMN low_balance_alerted`);
    await queryRunner.query(`ALTER TABLE synthesis_jobs DROP COLUMN api_key_id`);
    await queryRunner.query(
      `DROP FUNCTION create_synthesis_job(varchar, uuid, varchar, jsonb, char, varchar, integer, bigint, integer, integer, uuid)`,
    );
    await queryRunner.query(
      `DROP FUNCTION charge_cache_hit(uuid, bigint, varchar, uuid, varchar, varchar, integer, varchar, double precision)`,
    );
    await queryRunner.query(`DROP FUNCTION settle_job_as_cache_hit(varchar, bigint, varchar, double precision)`);
    await this.restoreCacheFunctions(queryRunner);
    await queryRunner.query(`DROP TRIGGER credit_ledger_cache_hit ON credit_ledger`);
    await queryRunner.query(`DROP FUNCTION record_cache_hit()`);
    await queryRunner.query(`DROP FUNCTION finish_reservation(varchar, varchar, bigint, varchar, varchar, double precision)`);
    await queryRunner.query(`DROP FUNCTION reserve_credits(uuid, bigint, varchar, uuid, varchar, varchar, integer)`);
    await queryRunner.query(`DROP FUNCTION roll_up_usage(usage_events, integer, bigint, bigint, integer)`);
    await queryRunner.query(`DROP FUNCTION charge_key_budget(uuid, bigint)`);
    await queryRunner.query(`DROP FUNCTION usage_voice(jsonb)`);
    await queryRunner.query(`DROP TABLE usage_hourly`);
    await queryRunner.query(`DROP TABLE usage_events`);
    await queryRunner.query(`DROP FUNCTION budget_period_end(varchar, timestamptz)`);
    await queryRunner.query(`DROP FUNCTION budget_period_start(varchar, timestamptz)`);
    await queryRunner.query(
      `ALTER TABLE api_keys DROP COLUMN credit_limit, DROP COLUMN budget_period, DROP COLUMN period_start, DROP COLUMN period_spent`,
    );
    await queryRunner.query(`
      CREATE FUNCTION reserve_credits(p_tenant uuid, p_amount bigint, p_reference varchar) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'reserve', -p_amount, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF NOT FOUND THEN
          RETURN;
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

  /** The audio cache's functions as migration AudioCache wrote them (its own `down` drops these signatures). */
  private async restoreCacheFunctions(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION charge_cache_hit(p_tenant uuid, p_amount bigint, p_reference varchar) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'cache_hit', -p_amount, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        UPDATE tenants SET credit_balance = credit_balance - p_amount WHERE id = p_tenant AND credit_balance >= p_amount;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SC402';
        END IF;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION settle_job_as_cache_hit(p_reference varchar, p_amount bigint) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        v_tenant uuid;
        v_reserved bigint;
        v_charge bigint;
      BEGIN
        SELECT tenant_id, -amount INTO v_tenant, v_reserved FROM credit_ledger WHERE reference = p_reference AND kind = 'reserve';
        IF NOT FOUND OR NOT finish_reservation(p_reference, 'settle', 0) THEN
          RETURN false;
        END IF;
        v_charge := LEAST(GREATEST(p_amount, 0), v_reserved);
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, 'cache_hit', -v_charge, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF FOUND AND v_charge > 0 THEN
          UPDATE tenants SET credit_balance = credit_balance - v_charge WHERE id = v_tenant;
        END IF;
        RETURN true;
      END $$`);
  }
}
