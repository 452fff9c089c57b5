import { BlockList, isIP } from 'node:net';
import { Environment, EnvironmentError } from './environment';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A network an endpoint may resolve to although it is private: `127.0.0.1/32`, `fd00::/8`. */
export interface AllowedNetwork {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface WebhookSettings {
  /** Delay before the 2nd, 3rd … attempt; attempts = retryDelaysMs.length + 1. */
  retryDelaysMs: number[];
  timeoutMs: number;
  disableAfterMs: number;
  secretGraceSeconds: number;
  allowHttp: boolean;
  allowedNetworks: AllowedNetwork[];
  concurrency: number;
}

export function parseDurations(list: string): number[] {
  return list.split(',').map((item) => {
    const match = /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(item);
    if (!match) throw new EnvironmentError([`WEBHOOK_RETRY_SCHEDULE: '${item}' is not a duration such as 5s, 5m or 2h`]);
    return Number(match[1]) * UNIT_MS[match[2]];
  });
}

export function parseNetworks(list: string): AllowedNetwork[] {
  if (list.trim() === '') return [];
  return list.split(',').map((item) => {
    const [address, prefixText] = item.trim().split('/');
    const version = isIP(address);
    const prefix = Number(prefixText);
    const family = version === 6 ? 'ipv6' : 'ipv4';
    if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (version === 6 ? 128 : 32)) {
      throw new EnvironmentError([`WEBHOOK_ALLOWED_NETWORKS: '${item.trim()}' is not a CIDR network such as 127.0.0.1/32`]);
    }
    // BlockList refuses what it cannot represent: a second check that the entry is usable.
    new BlockList().addSubnet(address, prefix, family);
    return { address, prefix, family };
  });
}

/** The webhook group of the environment, parsed once at start-up so a bad value stops the process. */
export function webhookSettings(environment: Environment): WebhookSettings {
  return {
    retryDelaysMs: parseDurations(environment.WEBHOOK_RETRY_SCHEDULE),
    timeoutMs: environment.WEBHOOK_TIMEOUT_MS,
    disableAfterMs: environment.WEBHOOK_DISABLE_AFTER_SECONDS * 1000,
    secretGraceSeconds: environment.WEBHOOK_SECRET_GRACE_SECONDS,
    allowHttp: environment.WEBHOOK_ALLOW_HTTP,
    allowedNetworks: parseNetworks(environment.WEBHOOK_ALLOWED_NETWORKS),
    concurrency: environment.WEBHOOK_CONCURRENCY,
  };
}
