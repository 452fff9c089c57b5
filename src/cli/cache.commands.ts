import { DataSource } from 'typeorm';
import { AudioCacheRepository } from '../synthesis/cache/audio-cache.repository';
import { CliUsageError, type CliCommand, type CliContext } from './cli-command';

async function repository(context: CliContext): Promise<AudioCacheRepository> {
  return new AudioCacheRepository((await context.app()).get(DataSource));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The audio result cache (docs/cache.md): what it holds, and emptying it (after a voice or upstream changed in a way its key cannot see). */
export const cacheCommands: CliCommand[] = [
  {
    name: 'cache stats',
    description: "the audio cache's entries and bytes, with its bound and lifetime",
    async run(_args, context) {
      const usage = await (await repository(context)).usage();
      const { enabled, maxBytes, ttlSeconds } = context.config.audioCache;
      const stats = { enabled, entries: usage.entries, bytes: usage.bytes, maxBytes, ttlSeconds };
      context.print(
        `${enabled ? 'enabled' : 'disabled'}: ${usage.entries} entries, ${usage.bytes} of ${maxBytes} bytes, entries kept ${ttlSeconds} s`,
        stats,
      );
    },
  },
  {
    name: 'cache clear',
    description: "delete audio cache entries: all of them, one tenant's, the shared ones, or only the expired",
    options: [
      { flags: '--tenant <tenant-id>', description: "only this tenant's entries" },
      { flags: '--shared', description: 'only the entries shared by all tenants (routes with cache: shared)' },
      { flags: '--expired', description: 'only entries older than AUDIO_CACHE_TTL_SECONDS' },
    ],
    async run(args, context) {
      const tenant = args.options.tenant;
      const chosen = [tenant !== undefined, args.options.shared === true, args.options.expired === true].filter(Boolean).length;
      if (chosen > 1) throw new CliUsageError('choose one of --tenant, --shared and --expired');
      if (typeof tenant === 'string' && !UUID.test(tenant))
        throw new CliUsageError(`--tenant must be a tenant id (a UUID), got '${tenant}'`);
      const store = await repository(context);
      let deleted = 0;
      if (args.options.expired === true) {
        for (let batch = -1; batch !== 0; deleted += batch) batch = await store.deleteExpired(context.config.audioCache.ttlSeconds);
      } else {
        deleted = await store.clear(typeof tenant === 'string' ? tenant : args.options.shared === true ? 'shared' : undefined);
      }
      context.print(`deleted ${deleted} ${deleted === 1 ? 'entry' : 'entries'}`, { deleted });
    },
  },
];
