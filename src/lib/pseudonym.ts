import { derivedToken } from "./crypto";

const LENGTH = 16; // base64url characters: 96 bits, no collisions among any realistic user count
const CACHE_LIMIT = 1_000;
const cache = new Map<string, string>();

const inputOf = (kind: "user" | "email", value: string) =>
  `${kind}:${kind === "email" ? value.toLowerCase() : value}`;

/**
 * A stable pseudonym for a user id or an account email in logs and metrics: HMAC-SHA-256 under a
 * key derived from JWT_SECRET (purpose `observability`), truncated. The same user gets the same
 * value in every line, so an operator can follow one account, while the value cannot be turned
 * back into the id or address without the server's secret (a plain hash of an email would fall to
 * a dictionary). Recent ones are cached per isolate (a user's requests come in runs), so most
 * requests compute none.
 */
export async function pseudonym(secret: string, kind: "user" | "email", value: string) {
  const input = inputOf(kind, value);
  const cacheKey = `${secret}\u0000${input}`;
  let hashed = cache.get(cacheKey);
  if (hashed === undefined) {
    hashed = (await derivedToken(secret, "observability", input)).slice(0, LENGTH);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(cacheKey, hashed);
  }
  return hashed;
}

/**
 * The pseudonym when this isolate has it cached, else undefined: the request log line asks this
 * first, so the usual request (one of a user's run) creates and awaits no promise for it.
 */
export function cachedPseudonym(
  secret: string,
  kind: "user" | "email",
  value: string,
): string | undefined {
  return cache.get(`${secret}\u0000${inputOf(kind, value)}`);
}
