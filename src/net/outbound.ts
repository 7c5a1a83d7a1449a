/**
 * The outbound policy: where the server may send requests on behalf of protocols and
 * their owners (HTTP tools, webhook deliveries, MCP servers). Issue 6, item 5; OWASP
 * "Server-Side Request Forgery Prevention Cheat Sheet".
 *
 * - Destinations whose address is not public unicast are refused by default: loopback
 *   (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local and
 *   cloud metadata (169.254/16 with 169.254.169.254, fe80::/10), carrier-grade NAT
 *   (100.64/10, Alibaba's metadata), unspecified (0.0.0.0/8, ::), multicast, broadcast,
 *   reserved and documentation ranges, and IPv6 forms that embed an IPv4 address
 *   (IPv4-mapped, NAT64, 6to4, Teredo). The classification is ipaddr.js's `range()`:
 *   only `unicast` passes (for IPv6, also only inside 2000::/3).
 * - The operator's allow-list (`OUTBOUND_ALLOW`: host names, IP addresses, CIDR ranges)
 *   opens destinations that would be refused; with `OUTBOUND_ALLOW_PUBLIC=false` it is
 *   the only way out.
 * - The check runs on the addresses a connection really uses, when it connects: an
 *   undici `Agent` whose connector refuses IP literals that are not allowed and resolves
 *   names through a lookup that drops addresses that are not allowed. A name that
 *   resolves to a public address when a URL is checked and to 127.0.0.1 when it is used
 *   (DNS rebinding) therefore gets nowhere, and neither do redirects.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';

import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

/** What {@link OutboundPolicy.fetch} resolves with (undici's `Response`). */
export type OutboundResponse = Response;

/** The operator's choices (src/config.ts: `OUTBOUND_ALLOW`, `OUTBOUND_ALLOW_PUBLIC`). */
export interface OutboundOptions {
  /** Host names (exact, case-insensitive), IP addresses and CIDR ranges always allowed. */
  allow: readonly string[];
  /** Whether public unicast addresses are allowed without being listed (default true). */
  allowPublic: boolean;
}

/** One entry of the allow-list, parsed. */
type AllowEntry = { host: string } | { range: [ipaddr.IPv4 | ipaddr.IPv6, number] };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?)*$/;

/**
 * Parses one allow-list entry: `10.0.0.0/8`, `fd00::/8`, `127.0.0.1`, `::1` or
 * `internal.example.com`.
 * @throws Error saying what is wrong with it
 */
export function parseAllowEntry(entry: string): AllowEntry {
  const text = entry.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (text.includes('/')) {
    if (!ipaddr.isValidCIDR(text)) throw new Error(`"${entry}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`);
    return { range: ipaddr.parseCIDR(text) };
  }
  if (ipaddr.isValid(text)) {
    // process() reads an IPv4-mapped IPv6 address as IPv4, as allows() does
    const address = ipaddr.process(text);
    return { range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  }
  if (!HOST_NAME.test(text.replace(/\.$/, ''))) throw new Error(`"${entry}" is neither a host name, an IP address nor a CIDR range`);
  return { host: text.replace(/\.$/, '') };
}

/** An outbound request was refused by the policy; the message names the host and address, never credentials. */
export class OutboundBlockedError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `Outbound request to ${host}${address === host ? '' : ` (${address})`} refused: private, loopback, link-local and metadata ` +
        'addresses are not reachable unless the operator allows them (OUTBOUND_ALLOW)',
    );
    this.name = 'OutboundBlockedError';
  }
}

/** The {@link OutboundBlockedError} behind `error` (fetch wraps it as `TypeError('fetch failed', { cause })`), if any. */
export function outboundRefusal(error: unknown): OutboundBlockedError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof OutboundBlockedError) return current;
    current = current.cause;
  }
  return undefined;
}

/** Time to establish a connection (TCP and TLS), in ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/** One policy per app: its dispatcher keeps connections and must be closed with the app. */
export class OutboundPolicy {
  /** The undici dispatcher every outbound request goes through. */
  readonly dispatcher: Agent;
  readonly #hosts: ReadonlySet<string>;
  readonly #ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  readonly #allowPublic: boolean;

  /** @throws Error for an allow-list entry that does not parse (config validation catches it first) */
  constructor(options: OutboundOptions) {
    const entries = options.allow.map(parseAllowEntry);
    this.#hosts = new Set(entries.flatMap((entry) => ('host' in entry ? [entry.host] : [])));
    this.#ranges = entries.flatMap((entry) => ('range' in entry ? [entry.range] : []));
    this.#allowPublic = options.allowPublic;
    const connect = buildConnector({ timeout: CONNECT_TIMEOUT_MS, lookup: this.#lookup });
    this.dispatcher = new Agent({
      connect: (connectOptions, callback) => {
        // An IP literal is not looked up, so it is checked here; names are checked by #lookup.
        const host = connectOptions.hostname;
        if (ipaddr.isValid(host) && !this.allows(host, host)) {
          callback(new OutboundBlockedError(host, host), null);
          return;
        }
        connect(connectOptions, callback);
      },
    });
  }

  /**
   * Whether a connection to `address` (an IP literal), reached through the name `host`,
   * is allowed: `host` or `address` is on the allow-list, or `address` is public unicast
   * and public destinations are allowed.
   */
  allows(address: string, host: string): boolean {
    if (this.#hosts.has(host.toLowerCase().replace(/\.$/, ''))) return true;
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    if (this.#ranges.some((range) => parsed.kind() === range[0].kind() && parsed.match(range))) return true;
    return this.#allowPublic && isPublicUnicast(parsed);
  }

  /**
   * `fetch` (undici's) through this policy's dispatcher. A refused destination rejects
   * with `TypeError('fetch failed')` whose `cause` is an {@link OutboundBlockedError}
   * (see {@link outboundRefusal}).
   */
  fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    return undiciFetch(url, { ...init, dispatcher: this.dispatcher });
  }

  /**
   * This policy's fetch with the platform's signature, for libraries that take a `fetch`
   * option (the MCP client). It accepts a URL (not a `Request` object): Node's global
   * fetch is undici, so only the type declarations of the two differ.
   * @throws TypeError when called with a `Request` object
   */
  readonly platformFetch: typeof globalThis.fetch = async (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('The outbound fetch takes a URL, not a Request');
    const response = await this.fetch(input, init as RequestInit);
    return response as unknown as globalThis.Response;
  };

  /** Closes pooled connections; call when the app stops. */
  close(): Promise<void> {
    return this.dispatcher.close();
  }

  /** `dns.lookup` keeping only allowed addresses; none left is an {@link OutboundBlockedError}. */
  readonly #lookup: LookupFunction = (hostname, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const allowed = addresses.filter((entry) => this.allows(entry.address, hostname));
      if (allowed.length === 0) return callback(new OutboundBlockedError(hostname, addresses[0]?.address ?? hostname), []);
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** Global unicast: ipaddr.js's `unicast` range, and for IPv6 also inside 2000::/3. */
function isPublicUnicast(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.range() !== 'unicast') return false;
  return address.kind() === 'ipv4' || address.match(GLOBAL_UNICAST_V6);
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
