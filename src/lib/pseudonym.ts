import { derivedToken } from "./crypto";

const LENGTH = 16; // base64url characters: 96 bits, no collisions among any realistic user count
const CACHE_LIMIT = 1_000;
/** Recent pseudonyms under one secret (the isolate's configuration; another clears them). */
const cache = new Map<string, string>();
let cacheSecret: string | undefined;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `text` as a string of its own. A slice of a longer string is, in V8, a view into it, and one
 * such member in the request log line sends JSON.stringify from its fast path to its slow one:
 * 8,700 instructions a line, 0.75 % of a read (BENCHMARKS.md, "Counted again, and three more
 * cuts"). A pseudonym is made once per user and isolate, and copied then.
 */
const ownCopy = (text: string) => decoder.decode(encoder.encode(text));

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
  let hashed = secret === cacheSecret ? cache.get(input) : undefined;
  if (hashed === undefined) {
    hashed = ownCopy((await derivedToken(secret, "observability", input)).slice(0, LENGTH));
    if (secret !== cacheSecret || cache.size >= CACHE_LIMIT) cache.clear();
    cacheSecret = secret;
    cache.set(input, hashed);
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
  return secret === cacheSecret ? cache.get(inputOf(kind, value)) : undefined;
}
