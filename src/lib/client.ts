import type { Context } from "hono";

/** The groups of an IPv6 address, expanded (`::` filled with zeros), lowercase, no leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return groups.map((group) => group.replace(/^0+(?=.)/, ""));
}

/** An address cut to its first `v4Bits` (IPv4) or `v6Groups` groups of 16 bits (IPv6). */
function prefixOf(address: string, v4Octets: number, v6Groups: number): string {
  if (address.includes(":"))
    return `${ipv6Groups(address).slice(0, v6Groups).join(":")}::/${v6Groups * 16}`;
  if (v4Octets >= 4) return address;
  const octets = address.split(".").slice(0, v4Octets);
  return `${[...octets, ...Array(4 - v4Octets).fill("0")].join(".")}/${v4Octets * 8}`;
}

/** The client address Cloudflare saw (`CF-Connecting-IP`), if the request came through it. */
export function clientIp(c: Context): string | undefined {
  return c.req.header("CF-Connecting-IP")?.trim() || undefined;
}

/**
 * The bucket rate limits count a client in: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64). Without an address there is no bucket, rather than
 * one shared by every such request.
 */
export function clientBucket(ip: string | undefined): string | undefined {
  return ip ? prefixOf(ip, 4, 4) : undefined;
}

/** What sessions and events record of a client: enough to recognise it, not to track it. */
export type ClientInfo = { ip?: string; userAgent?: string };

/** The client of a request, its IP coarsened (IPv4 /24, IPv6 /48) and its user agent truncated. */
export function clientInfo(c: Context): ClientInfo {
  const ip = clientIp(c);
  const userAgent = c.req.header("User-Agent")?.slice(0, 256) || undefined;
  return { ip: ip ? prefixOf(ip, 3, 3) : undefined, userAgent };
}
