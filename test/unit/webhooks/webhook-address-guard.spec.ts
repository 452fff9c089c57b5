import { parseNetworks } from '../../../src/config/webhook-settings';
import { HostResolver, WebhookAddressGuard, WebhookAddressRefused } from '../../../src/webhooks/webhook-address-guard';

/** A resolver that answers from a table and never touches the network. */
function resolverOf(table: Record<string, string[]>): HostResolver {
  return async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const resolver = resolverOf({
  'hooks.example.com': ['93.184.216.34'],
  'metadata.example.com': ['169.254.169.254'],
  'internal.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.10'],
  'v6-private.example.com': ['fd00:ec2::254'],
  'localhost.example.com': ['127.0.0.1'],
});

async function refusal(sut: WebhookAddressGuard, raw: string): Promise<string> {
  try {
    await sut.resolve(sut.parseUrl(raw));
  } catch (error) {
    if (error instanceof WebhookAddressRefused) return error.message;
    throw error;
  }
  throw new Error(`${raw} was accepted`);
}

describe('webhook address guard (SSRF)', () => {
  const sut = new WebhookAddressGuard({ allowHttp: false, allowedNetworks: [] }, resolver);

  it('accepts an https URL whose host resolves to public addresses, and answers the address to connect to', async () => {
    await expect(sut.resolve(sut.parseUrl('https://hooks.example.com/tts?x=1'))).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    await expect(sut.resolve(sut.parseUrl('https://203.0.113.7:8443/'))).resolves.toEqual({ address: '203.0.113.7', family: 4 });
  });

  it.each([
    ['plain http', 'http://hooks.example.com/', /must be https/],
    ['credentials', 'https://user:pw@hooks.example.com/', /user name or password/],
    ['not a URL', 'hooks.example.com/x', /not an absolute URL/],
    ['another scheme', 'ftp://hooks.example.com/', /must be https/],
  ])('refuses %s', async (_name, raw, message) => {
    expect(await refusal(sut, raw)).toMatch(message);
  });

  it.each([
    ['loopback', 'https://127.0.0.1/'],
    ['loopback by name', 'https://localhost.example.com/'],
    ['IPv6 loopback', 'https://[::1]/'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data/'],
    ['a name for the metadata address', 'https://metadata.example.com/'],
    ['RFC 1918', 'https://10.0.0.8/'],
    ['RFC 1918 by name', 'https://internal.example.com/'],
    ['172.16/12', 'https://172.20.1.1/'],
    ['carrier-grade NAT (Alibaba metadata)', 'https://100.100.100.200/'],
    ['"this network"', 'https://0.0.0.0/'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/'],
    ['unique local IPv6 (AWS metadata)', 'https://v6-private.example.com/'],
    ['link-local IPv6', 'https://[fe80::1]/'],
    ['a name with one private address among public ones', 'https://mixed.example.com/'],
  ])('refuses %s', async (_name, raw) => {
    expect(await refusal(sut, raw)).toMatch(/loopback, private, link-local or metadata address/);
  });

  it('refuses a host that does not resolve', async () => {
    expect(await refusal(sut, 'https://nowhere.example.com/')).toMatch(/could not be resolved \(ENOTFOUND\)/);
  });

  it('allows http and allow-listed networks only when configured', async () => {
    const configured = new WebhookAddressGuard({ allowHttp: true, allowedNetworks: parseNetworks('127.0.0.1/32, fd00::/8') }, resolver);
    await expect(configured.resolve(configured.parseUrl('http://127.0.0.1:9000/hook'))).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
    await expect(configured.resolve(configured.parseUrl('http://v6-private.example.com/'))).resolves.toMatchObject({ family: 6 });
    // Only what is listed: the rest of 127/8 and the metadata address stay refused.
    expect(await refusal(configured, 'http://127.0.0.2/')).toMatch(/loopback/);
    expect(await refusal(configured, 'http://169.254.169.254/')).toMatch(/metadata/);
  });
});
