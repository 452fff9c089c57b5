import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A synchronous cache hit in one round trip: `take_cache_hit()` marks the entry used and charges the
 * hit (charge_cache_hit(), migration UsageAndKeyBudgets) in one statement, where the api used to send
 * the lookup and then the charge. The charge names the entry's own provider and duration. When the
 * caller already holds the entry's version (its process keeps a copy), the audio is not read out;
 * otherwise it comes as base64 text (see AudioCacheRepository.take).
 * Insufficient credits or a spent key budget raise as charge_cache_hit() raises them, and the entry is
 * then not marked used either. Committed without waiting for the WAL flush, like a reservation.
 */
export class CacheHitInOneStatement1763900000000 implements MigrationInterface {
  name = 'CacheHitInOneStatement1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION take_cache_hit(p_key char(64), p_ttl_seconds integer, p_known_version text, p_tenant uuid, p_amount bigint,
                                     p_reference varchar, p_api_key uuid, p_face varchar, p_voice varchar, p_characters integer)
      RETURNS TABLE (entry_version text, entry_audio text, entry_meta jsonb)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_created timestamptz;
        v_meta jsonb;
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        UPDATE audio_cache SET last_used_at = now()
         WHERE key = p_key AND created_at > now() - make_interval(secs => p_ttl_seconds)
        RETURNING created_at, meta INTO v_created, v_meta;
        IF NOT FOUND THEN
          RETURN;
        END IF;
        PERFORM charge_cache_hit(p_tenant, p_amount, p_reference, p_api_key, p_face, p_voice, p_characters,
                                 v_meta->>'provider', (v_meta->>'durationSeconds')::double precision);
        IF v_created::text = p_known_version THEN
          RETURN QUERY SELECT v_created::text, NULL::text, NULL::jsonb;
        ELSE
          RETURN QUERY SELECT v_created::text, encode(c.audio, 'base64'), c.meta FROM audio_cache c WHERE c.key = p_key;
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION take_cache_hit(char, integer, text, uuid, bigint, varchar, uuid, varchar, varchar, integer)`);
  }
}
