/**
 * The outbound policy's classification (src/net/outbound.ts): which addresses are
 * refused by default, how the allow-list opens them, and how configuration checks it.
 */
import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';
import { OutboundBlockedError, OutboundPolicy, outboundRefusal, parseAllowEntry } from '../../src/net/outbound.js';

describe('OutboundPolicy.allows', () => {
  const policy = new OutboundPolicy({ allow: [], allowPublic: true });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['100.100.100.200', 'carrier-grade NAT, Alibaba metadata'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.10', 'documentation'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'AWS IPv6 metadata'],
    ['fe80::1', 'IPv6 link-local'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['2002:7f00:1::', '6to4 of loopback'],
  ])('refuses %s (%s)', (address) => {
    expect(policy.allows(address, address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1'])('allows public %s', (address) => {
    expect(policy.allows(address, 'example.com')).toBe(true);
  });

  it('opens listed addresses, ranges and host names, and only those when public ones are off', () => {
    const listed = new OutboundPolicy({ allow: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'Internal.Example.'], allowPublic: false });
    expect(listed.allows('127.0.0.1', 'localhost')).toBe(true);
    expect(listed.allows('::ffff:127.0.0.1', 'x')).toBe(true);
    expect(listed.allows('127.0.0.2', 'x')).toBe(false);
    expect(listed.allows('10.200.3.4', 'x')).toBe(true);
    expect(listed.allows('fd12::1', 'x')).toBe(true);
    expect(listed.allows('192.168.0.1', 'internal.example.com')).toBe(false);
    expect(listed.allows('192.168.0.1', 'internal.example')).toBe(true);
    expect(listed.allows('8.8.8.8', 'dns.google')).toBe(false);
  });
});

describe('allow-list entries', () => {
  it('parse as ranges or host names, and refuse anything else', () => {
    expect(parseAllowEntry('10.0.0.0/8')).toMatchObject({ range: [expect.anything(), 8] });
    expect(parseAllowEntry('[::1]')).toMatchObject({ range: [expect.anything(), 128] });
    expect(parseAllowEntry('Hooks.Example.com')).toEqual({ host: 'hooks.example.com' });
    expect(() => parseAllowEntry('10.0.0.0/33')).toThrow(/not a CIDR range/);
    expect(() => parseAllowEntry('hooks.example.com:8080')).toThrow(/neither a host name/);
  });

  it('are checked by the configuration, every bad one named', () => {
    expect(loadConfig({ OUTBOUND_ALLOW: ' 127.0.0.1, hooks.internal ,fd00::/8' }).outbound).toEqual({ allow: ['127.0.0.1', 'hooks.internal', 'fd00::/8'], allowPublic: true });
    expect(loadConfig({ OUTBOUND_ALLOW_PUBLIC: 'false' }).outbound.allowPublic).toBe(false);
    let error: unknown;
    try {
      loadConfig({ OUTBOUND_ALLOW: '10.0.0.0/40,a b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringContaining('not a CIDR range'), expect.stringContaining('neither a host name')]);
  });
});

describe('outboundRefusal', () => {
  it('finds the refusal behind fetch’s TypeError', () => {
    const refusal = new OutboundBlockedError('metadata.internal', '169.254.169.254');
    expect(outboundRefusal(new TypeError('fetch failed', { cause: refusal }))).toBe(refusal);
    expect(outboundRefusal(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }))).toBeUndefined();
    expect(refusal.message).toBe(
      'Outbound request to metadata.internal (169.254.169.254) refused: private, loopback, link-local and metadata addresses are not reachable unless the operator allows them (OUTBOUND_ALLOW)',
    );
  });
});
