import { describe, expect, it } from 'vitest';
import { CLOUD_POLICY, type DestinationPolicy } from '../domain/destination-url.ts';
import { checkDestination, DestinationRefusedError, systemResolver, type Resolver } from './destination-guard.ts';

/**
 * The SSRF policy of sync destinations (issue 14), called directly: nothing here sends a packet. Names are
 * resolved by a stub, except `localhost`, which the system resolver answers from /etc/hosts.
 */
const LOCAL: DestinationPolicy = { allowLoopback: true };
const names: Record<string, string[]> = {
  'siem.example.com': ['93.184.215.14'],
  'rebind.example.com': ['127.0.0.1'],
  'mixed.example.com': ['93.184.215.14', '10.1.2.3'],
  'v6.example.com': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'metadata.example.com': ['fd00:ec2::254'],
};
const stub: Resolver = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};

async function refusal(url: string, policy: DestinationPolicy = CLOUD_POLICY, resolve: Resolver = stub): Promise<string> {
  try {
    await checkDestination(url, policy, resolve);
  } catch (error) {
    expect(error).toBeInstanceOf(DestinationRefusedError);
    return (error as DestinationRefusedError).reason;
  }
  throw new Error(`${url} was allowed`);
}

describe('sync destination policy, cloud configuration', () => {
  it('refuses the metadata service, private ranges and loopback, given as addresses', async () => {
    expect(await refusal('https://169.254.169.254/latest/meta-data/iam/')).toMatch(/link-local.*metadata/);
    expect(await refusal('https://10.0.0.1/hook')).toMatch(/10\.0\.0\.1 is a private address/);
    expect(await refusal('https://[::1]/hook')).toMatch(/::1 is a loopback address/);
    expect(await refusal('https://127.0.0.1/hook')).toMatch(/loopback/);
    expect(await refusal('https://[::ffff:10.0.0.1]/hook')).toMatch(/private/);
    expect(await refusal('https://[fe80::1]/hook')).toMatch(/link-local/);
    expect(await refusal('https://100.64.0.1/hook')).toMatch(/carrier-grade NAT/);
    expect(await refusal('https://0.0.0.0/hook')).toMatch(/unspecified/);
    expect(await refusal('https://172.16.5.4/hook')).toMatch(/private/);
    expect(await refusal('https://192.168.1.1/hook')).toMatch(/private/);
  });

  it('refuses a name that resolves to 127.0.0.1 (the system resolver for localhost, and a rebinding name)', async () => {
    expect(await refusal('https://localhost/hook', CLOUD_POLICY, systemResolver)).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(await refusal('https://rebind.example.com/hook')).toBe('rebind.example.com resolves to 127.0.0.1, a loopback address');
    // One private address among public ones is enough: a client may connect to any of them.
    expect(await refusal('https://mixed.example.com/hook')).toBe('mixed.example.com resolves to 10.1.2.3, a private address');
    expect(await refusal('https://metadata.example.com/hook')).toMatch(/unique local/);
  });

  it('allows https to public addresses on 443 only, without credentials', async () => {
    expect(await checkDestination('https://siem.example.com/hooks/driftwatch', CLOUD_POLICY, stub)).toEqual(['93.184.215.14']);
    expect(await checkDestination('https://v6.example.com/x', CLOUD_POLICY, stub)).toHaveLength(1);
    expect(await checkDestination('https://93.184.215.14/x', CLOUD_POLICY, stub)).toEqual(['93.184.215.14']);
    expect(await refusal('http://siem.example.com/hook')).toBe('only https URLs are allowed');
    expect(await refusal('https://siem.example.com:8443/hook')).toMatch(/port 8443 is not allowed/);
    expect(await refusal('https://u:p@siem.example.com/hook')).toMatch(/credentials/);
    expect(await refusal('ftp://siem.example.com/')).toBe('only https URLs are allowed');
    expect(await refusal('not a url')).toMatch(/not a valid/);
    expect(await refusal('https://nowhere.example.com/')).toMatch(/does not resolve \(ENOTFOUND\)/);
  });
});

describe('sync destination policy, local stack (SYNC_ALLOW_LOOPBACK)', () => {
  it('allows the loopback interface over http on any port, and still refuses everything else', async () => {
    expect(await checkDestination('http://127.0.0.1:43123/hook', LOCAL, stub)).toEqual(['127.0.0.1']);
    expect(await checkDestination('http://localhost:8080/hook', LOCAL, systemResolver)).not.toHaveLength(0);
    expect(await refusal('http://10.0.0.1/hook', LOCAL)).toMatch(/private/);
    expect(await refusal('https://169.254.169.254/', LOCAL)).toMatch(/link-local/);
    expect(await refusal('http://siem.example.com/hook', LOCAL)).toBe('only https URLs are allowed');
  });
});
