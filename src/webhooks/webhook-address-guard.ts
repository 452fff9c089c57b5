import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { AllowedNetwork } from '../config/webhook-settings';

/** A URL or address a webhook may not be sent to; the message says why, for the tenant. */
export class WebhookAddressRefused extends Error {}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));

/**
 * Where a server-side request must never go unless an operator says so: loopback, private (RFC 1918,
 * unique local), carrier-grade NAT (Alibaba's metadata 100.100.100.200 is there), link-local (cloud
 * metadata 169.254.169.254, fd00:ec2::254 is unique local), "this network", benchmarking, multicast
 * and reserved ranges.
 */
const FORBIDDEN: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** `::ffff:10.0.0.1` and NAT64's `64:ff9b::10.0.0.1` reach the IPv4 address inside them: judge that one. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (match) return match[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * The SSRF rules for webhook endpoints: https only (http when configured for development), no
 * credentials in the URL, and every address the host resolves to outside the forbidden ranges unless
 * an allowed network (configuration) contains it. The caller connects to the address returned here,
 * so a DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
 */
export class WebhookAddressGuard {
  private readonly forbidden = new BlockList();
  private readonly allowed = new BlockList();

  constructor(
    private readonly rules: { allowHttp: boolean; allowedNetworks: AllowedNetwork[] },
    private readonly resolver: HostResolver = systemResolver,
  ) {
    for (const [address, prefix, family] of FORBIDDEN) this.forbidden.addSubnet(address, prefix, family);
    for (const network of rules.allowedNetworks) this.allowed.addSubnet(network.address, network.prefix, network.family);
  }

  /** The URL's own rules (no network): scheme, host, no credentials. */
  parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookAddressRefused(`'${raw.slice(0, 200)}' is not an absolute URL.`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.rules.allowHttp)) {
      throw new WebhookAddressRefused(
        this.rules.allowHttp ? 'The URL must be http or https.' : 'The URL must be https (plain http is allowed only in development).',
      );
    }
    if (url.username || url.password) throw new WebhookAddressRefused('The URL must not carry a user name or password.');
    if (!url.hostname) throw new WebhookAddressRefused('The URL has no host.');
    return url;
  }

  /** Resolves the URL's host and returns the address to connect to, or refuses. */
  async resolve(url: URL): Promise<ResolvedAddress> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: ResolvedAddress[];
    if (isIP(hostname)) {
      addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolver(hostname);
      } catch (error) {
        throw new WebhookAddressRefused(
          `The host ${hostname} could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        );
      }
    }
    if (addresses.length === 0) throw new WebhookAddressRefused(`The host ${hostname} has no address.`);
    // One forbidden answer refuses the host: a name that mixes public and private addresses is a trap.
    for (const candidate of addresses) this.assertAllowed(hostname, candidate);
    return addresses[0];
  }

  private assertAllowed(hostname: string, candidate: ResolvedAddress): void {
    const inner = candidate.family === 6 ? embeddedIpv4(candidate.address) : undefined;
    const [address, family] = inner
      ? [inner, 'ipv4' as const]
      : [candidate.address, candidate.family === 6 ? ('ipv6' as const) : ('ipv4' as const)];
    if (this.allowed.check(address, family)) return;
    if (this.forbidden.check(address, family)) {
      const shown = hostname === candidate.address ? address : `${hostname} (${address})`;
      throw new WebhookAddressRefused(
        `${shown} is a loopback, private, link-local or metadata address; webhooks are only sent to public addresses.`,
      );
    }
  }
}
