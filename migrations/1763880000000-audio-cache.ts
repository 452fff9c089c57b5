import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audio result cache (docs/cache.md): finished audio by the SHA-256 of everything that changes it,
 * shared by every api and worker process.
 *
 * - `audio_cache` holds one file per key. The audio column is stored EXTERNAL (out of line, never
 *   compressed): speech is PCM or an already compressed codec, pglz gains little on it and would cost
 *   a decompression on every hit.
 * - `audio_cache_usage` is one row with the entry count and byte total, kept by a trigger, so the byte
 *   bound is checked without summing the table.
 * - `store_audio_cache_entry()` inserts a new entry, drops entries past their lifetime, then evicts the
 *   least recently used until the total is within the bound, all in one transaction under one advisory
 *   lock (stores are rare next to hits; serialising them keeps two evictions from fighting).
 * - Ledger kind `cache_hit`: a hit's charge, one row per request or job reference.
 * - `charge_cache_hit()` is a synchronous hit's charge (conditional on the balance, like a reservation);
 *   `settle_job_as_cache_hit()` ends a job's reservation with nothing charged and writes its hit charge.
 * - `synthesis_jobs.cache_status` and `credits_charged` say what a finished job was and cost.
 */
export class AudioCache1763880000000 implements MigrationInterface {
  name = 'AudioCache1763880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audio_cache (
        key char(64) PRIMARY KEY,
        scope varchar(64) NOT NULL,
        audio bytea NOT NULL,
        meta jsonb NOT NULL,
        byte_size integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE audio_cache ALTER COLUMN audio SET STORAGE EXTERNAL`);
    await queryRunner.query(`CREATE INDEX audio_cache_last_used ON audio_cache (last_used_at)`);
    await queryRunner.query(`CREATE INDEX audio_cache_created ON audio_cache (created_at)`);
    await queryRunner.query(`CREATE INDEX audio_cache_scope ON audio_cache (scope)`);
    await queryRunner.query(`
      CREATE TABLE audio_cache_usage (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        entries bigint NOT NULL DEFAULT 0,
        bytes bigint NOT NULL DEFAULT 0
      )`);
    await queryRunner.query(`INSERT INTO audio_cache_usage DEFAULT VALUES`);
    await queryRunner.query(`
      CREATE FUNCTION audio_cache_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE audio_cache_usage SET entries = entries + 1, bytes = bytes + NEW.byte_size;
        ELSE
          UPDATE audio_cache_usage SET entries = entries - 1, bytes = bytes - OLD.byte_size;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audio_cache_counts AFTER INSERT OR DELETE ON audio_cache
        FOR EACH ROW EXECUTE FUNCTION audio_cache_count()`);
    await queryRunner.query(storeAudioCacheEntry());

    await queryRunner.query(`ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_kind_check`);
    await queryRunner.query(
      `ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_kind_check CHECK (kind IN ('topup', 'reserve', 'settle', 'release', 'cache_hit'))`,
    );
    await queryRunner.query(`
      CREATE FUNCTION charge_cache_hit(p_tenant uuid, p_amount bigint, p_reference varchar) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'cache_hit', -p_amount, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF NOT FOUND THEN
          RETURN; -- already charged under this reference
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
        -- The whole reservation came back just now, so the balance covers the (smaller) hit charge.
        v_charge := LEAST(GREATEST(p_amount, 0), v_reserved);
        INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, 'cache_hit', -v_charge, p_reference)
          ON CONFLICT (reference, kind) DO NOTHING;
        IF FOUND AND v_charge > 0 THEN
          UPDATE tenants SET credit_balance = credit_balance - v_charge WHERE id = v_tenant;
        END IF;
        RETURN true;
      END $$`);
    await queryRunner.query(`ALTER TABLE synthesis_jobs ADD COLUMN cache_status varchar(8)`);
    await queryRunner.query(`ALTER TABLE synthesis_jobs ADD COLUMN credits_charged bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE synthesis_jobs DROP COLUMN credits_charged`);
    await queryRunner.query(`ALTER TABLE synthesis_jobs DROP COLUMN cache_status`);
    await queryRunner.query(`DROP FUNCTION settle_job_as_cache_hit(varchar, bigint)`);
    await queryRunner.query(`DROP FUNCTION charge_cache_hit(uuid, bigint, varchar)`);
    // Hit charges already in the ledger stay (the balance is their sum); only new rows are held to the old kinds.
    await queryRunner.query(`ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_kind_check`);
    await queryRunner.query(
      `ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_kind_check CHECK (kind IN ('topup', 'reserve', 'settle', 'release')) NOT VALID`,
    );
    await queryRunner.query(`DROP FUNCTION store_audio_cache_entry(char, varchar, bytea, jsonb, bigint, integer)`);
    await queryRunner.query(`DROP TRIGGER audio_cache_counts ON audio_cache`);
    await queryRunner.query(`DROP FUNCTION audio_cache_count()`);
    await queryRunner.query(`DROP TABLE audio_cache_usage`);
    await queryRunner.query(`DROP TABLE audio_cache`);
  }
}

/**
 * store_audio_cache_entry() as this migration made it; with `deleteOwnExpired` (migration
 * CacheStoreReplacesExpired) it also deletes the key's own expired entry before inserting.
 */
export function storeAudioCacheEntry(deleteOwnExpired = false): string {
  const ownExpired = deleteOwnExpired
    ? `DELETE FROM audio_cache WHERE key = p_key AND created_at <= now() - make_interval(secs => p_ttl_seconds);
        expired := expired + (CASE WHEN FOUND THEN 1 ELSE 0 END);`
    : '';
  return `
      CREATE OR REPLACE FUNCTION store_audio_cache_entry(p_key char(64), p_scope varchar, p_audio bytea, p_meta jsonb, p_max_bytes bigint, p_ttl_seconds integer)
      RETURNS TABLE (stored boolean, evicted integer, expired integer)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_excess bigint;
        v_removed integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('audio_cache_store'));
        WITH gone AS (
          DELETE FROM audio_cache WHERE key IN (
            SELECT key FROM audio_cache WHERE created_at <= now() - make_interval(secs => p_ttl_seconds) ORDER BY created_at LIMIT 500)
          RETURNING 1)
        SELECT count(*) INTO expired FROM gone;
        ${ownExpired}
        evicted := 0;
        INSERT INTO audio_cache (key, scope, audio, meta, byte_size)
        VALUES (p_key, p_scope, p_audio, p_meta, octet_length(p_audio))
        ON CONFLICT (key) DO NOTHING;
        stored := FOUND;
        LOOP
          SELECT bytes - p_max_bytes INTO v_excess FROM audio_cache_usage;
          EXIT WHEN v_excess <= 0;
          -- The shortest run of least recently used entries (never the new one) that frees the excess.
          WITH lru AS (
            SELECT key, byte_size, sum(byte_size) OVER (ORDER BY last_used_at, key) AS running
              FROM (SELECT key, byte_size, last_used_at FROM audio_cache WHERE key <> p_key ORDER BY last_used_at, key LIMIT 1000) oldest),
          gone AS (DELETE FROM audio_cache WHERE key IN (SELECT key FROM lru WHERE running - byte_size < v_excess) RETURNING 1)
          SELECT count(*) INTO v_removed FROM gone;
          EXIT WHEN v_removed = 0;
          evicted := evicted + v_removed;
        END LOOP;
        RETURN NEXT;
      END $$`;
}
