/** Per-account IP allow-lists (SPEC: Tenancy): IPv4 and IPv6 CIDRs, checked with node's BlockList. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** At most this many entries per account. */
export const MAX_CIDRS = 64;

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `A.B.C.D/N`, `X::Y/N` or a bare address (a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return undefined;
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family || address.includes('%')) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  if (slash < 0) return { address, prefix: max, family };
  const p = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  return prefix <= max ? { address, prefix, family } : undefined;
}

/** Normalises a list: trims, rejects the malformed (their texts are returned), drops duplicates. */
export function validateCidrs(list: readonly unknown[]): { cidrs: string[]; invalid: string[] } {
  const cidrs: string[] = [];
  const invalid: string[] = [];
  for (const item of list) {
    const text = typeof item === 'string' ? item.trim() : '';
    const c = parseCidr(text);
    if (!c) invalid.push(String(item).slice(0, 80));
    else {
      const canonical = `${c.address}/${c.prefix}`;
      if (!cidrs.includes(canonical)) cidrs.push(canonical);
    }
  }
  return { cidrs, invalid };
}

/** A compiled allow-list; `allows` is what the auth middleware asks per request. */
export class IpAllowList {
  private readonly list = new BlockList();
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    const parsed = cidrs.map((t) => parseCidr(t));
    if (parsed.some((c) => !c)) throw new TypeError('cidrs: every entry must be a valid CIDR');
    for (const c of parsed as Cidr[]) this.list.addSubnet(c.address, c.prefix, c.family);
    this.cidrs = Object.freeze([...cidrs]);
  }

  /** True when `ip` (as the socket reports it; IPv4-mapped IPv6 is read as IPv4) is inside a listed CIDR. */
  allows(ip: string): boolean {
    if (ip.startsWith('::ffff:') && isIPv4(ip.slice(7))) return this.list.check(ip.slice(7), 'ipv4');
    if (isIPv4(ip)) return this.list.check(ip, 'ipv4');
    if (isIPv6(ip)) return this.list.check(ip, 'ipv6');
    return false;
  }
}
