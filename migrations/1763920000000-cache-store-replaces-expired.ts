import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `store_audio_cache_entry()` also deletes the key's own entry when it is past its lifetime, before
 * inserting. Expired entries were removed 500 at a time, oldest first, so with a longer backlog a
 * key's own expired row could survive the store: the new audio then met it (`ON CONFLICT DO NOTHING`)
 * and was not kept, and that text was a miss on every request until the backlog cleared. Expired rows
 * were never served either way (take_cache_hit() checks the lifetime).
 */
export class CacheStoreReplacesExpired1763920000000 implements MigrationInterface {
  name = 'CacheStoreReplacesExpired1763920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(storeFunction(true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(storeFunction(false));
  }
}

/** The function as migration AudioCache1763880000000 made it, with or without the key's own expired row deleted first. */
function storeFunction(replaceOwnExpired: boolean): string {
  const ownExpired = replaceOwnExpired
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
