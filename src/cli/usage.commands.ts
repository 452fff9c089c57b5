import { TenantsService } from '../tenants/tenants.service';
import { parseUsageQuery } from '../usage/usage-query';
import { usageCsv, UsageService } from '../usage/usage.service';
import { CliCommand, CliUsageError, requireOption } from './cli-command';

function optional(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function thresholdOf(raw: string): number | null {
  if (raw === 'none') return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
}

export const usageCommands: CliCommand[] = [
  {
    name: 'usage',
    description: "a tenant's usage per UTC hour, day or month, optionally split by key, voice, provider, face, status",
    options: [
      { flags: '--tenant <id>', description: "the tenant's id", required: true },
      { flags: '--from <when>', description: 'inclusive ISO 8601 date or date-time with offset (default: start of this UTC month)' },
      { flags: '--to <when>', description: 'exclusive (default: now)' },
      { flags: '--interval <hour|day|month>', description: 'bucket size (default day)' },
      { flags: '--group-by <list>', description: 'comma-separated: api_key, voice, provider, face, status' },
      { flags: '--csv', description: 'print the buckets as CSV' },
    ],
    async run(args, context) {
      const query = parseUsageQuery({
        from: optional(args.options.from),
        to: optional(args.options.to),
        interval: optional(args.options.interval),
        group_by: optional(args.options['group-by']),
      });
      const report = await (await context.app()).get(UsageService).report(requireOption(args, 'tenant'), query);
      if (args.options.csv === true && !args.json) {
        process.stdout.write(usageCsv(report));
        return;
      }
      const t = report.totals;
      const lines = report.buckets.map((bucket) => {
        const who = report.group_by
          .map((name) => (name === 'api_key' ? (bucket.api_key_name ?? bucket.api_key_id ?? '-') : (bucket[name as 'voice'] ?? '-')))
          .join('  ');
        return `${bucket.start}  ${who ? `${who}  ` : ''}${bucket.requests} req  ${bucket.failures} failed  ${bucket.characters} chars  ${bucket.credits_charged} credits`;
      });
      lines.push(
        `total: ${t.requests} requests (${t.failures} failed, ${t.cancelled} cancelled, ${t.cache_hits} cache hits), ${t.characters} characters, ` +
          `${t.audio_seconds} s audio, ${t.credits_charged} credits charged, ${t.credits_refunded} refunded`,
      );
      context.print(lines.join('\n'), report);
    },
  },
  {
    name: 'tenants low-balance',
    arguments: ['<tenant-id>', '<credits|none>'],
    description: 'record a crossing when the balance drops below this many credits (none: no signal)',
    async run(args, context) {
      const [tenantId, raw] = args.positionals;
      const threshold = thresholdOf(raw);
      if (Number.isNaN(threshold)) throw new CliUsageError(`the threshold must be a whole number ≥ 0 or none, got '${raw}'`);
      const tenant = await (await context.app()).get(TenantsService).setLowBalanceThreshold(tenantId, threshold);
      context.print(`low-balance threshold of ${tenant.id}: ${tenant.lowBalanceThreshold ?? 'none'}`, {
        tenantId: tenant.id,
        lowBalanceThreshold: tenant.lowBalanceThreshold,
        below: tenant.lowBalanceAlerted,
      });
    },
  },
];
