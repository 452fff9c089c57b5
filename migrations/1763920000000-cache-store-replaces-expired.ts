import { MigrationInterface, QueryRunner } from 'typeorm';
import { storeAudioCacheEntry } from './1763880000000-audio-cache';

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
    await queryRunner.query(storeAudioCacheEntry(true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(storeAudioCacheEntry(false));
  }
}
