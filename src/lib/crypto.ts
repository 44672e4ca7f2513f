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
 * A token derived from another with a server key: HMAC-SHA-256 under a key made from the secret
 * and a purpose label (so one secret serves several purposes without their outputs meeting),
 * base64url like every token. Deterministic, so the same input gives the same token again.
 */
export async function derivedToken(secret: string, purpose: string, input: string) {
  const id = `${purpose}\u0000${secret}`;
  let key = hmacKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(id),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    hmacKeys.set(id, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(input));
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
