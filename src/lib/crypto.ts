const encoder = new TextEncoder();

/** Bytes as base64url without padding (RFC 4648 section 5). */
export const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

/** 256 bits from the platform CSPRNG, base64url: the form of every refresh and reset token. */
export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * An HMAC-SHA-256 key made from a server secret, imported once per isolate and set of usages:
 * importing it again on every MAC would cost more than the MAC. The secrets are configuration
 * (JWT_SECRET and keys derived from it), so the map stays as small as the configuration.
 */
export function importedHmacKey(raw: string, usages: ("sign" | "verify")[]): Promise<CryptoKey> {
  const id = `${usages.join(",")}\u0000${raw}`;
  let key = hmacKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(raw),
      { name: "HMAC", hash: "SHA-256" },
      false,
      usages,
    );
    hmacKeys.set(id, key);
  }
  return key;
}

/**
 * A token derived from another with a server key: HMAC-SHA-256 under a key made from the secret
 * and a purpose label (so one secret serves several purposes without their outputs meeting),
 * base64url like every token. Deterministic, so the same input gives the same token again.
 */
export async function derivedToken(secret: string, purpose: string, input: string) {
  const key = await importedHmacKey(`${purpose}\u0000${secret}`, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(input));
  return base64url(new Uint8Array(mac));
}

/** Tokens are stored only as this digest, so a database leak does not leak usable tokens. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two secrets in time that depends on neither: both are hashed to equal-length digests
 * first, then compared with the runtime's constant-time primitive.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
