// Reading and forging JWTs, to check the API's access tokens from the outside.
import { importJWK, SignJWT } from "jose";
import { EXAMPLE_SIGNING_KEYS, type SigningKey } from "../../src/lib/signing-keys";
import { testEnv } from "./worker";

/** The `iss` and `aud` of every access token the API issues. */
export const ISSUER = "user-management-api";

export function base64UrlJson(value: unknown) {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeSegment(segment: string): Record<string, unknown> {
  const base64 = segment.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

export function decodeJwt(token: string) {
  const [header = "", payload = ""] = token.split(".");
  return { header: decodeSegment(header), payload: decodeSegment(payload) };
}

/** Claims like the API's own access tokens, for the session named (its user and its sid). */
export function accessClaims(
  session: { id: string; role: string; token: string },
  overrides: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: session.id,
    role: session.role,
    ver: 0,
    sid: decodeJwt(session.token).payload.sid,
    typ: "access",
    iss: ISSUER,
    aud: ISSUER,
    iat: now,
    exp: now + 900,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

/** The key the tests' key set signs with (vitest.config.ts): an ES256 private JWK with its kid. */
export const TEST_SIGNING_KEY = EXAMPLE_SIGNING_KEYS[0] as SigningKey;

/**
 * Signs claims as the API signs access tokens: with a private JWK of the key set (the tests'
 * current key unless told another), its `alg` and `kid` in the header unless `header` changes them.
 */
export async function signAccessClaims(
  claims: Record<string, unknown>,
  key: SigningKey = TEST_SIGNING_KEY,
  header: Record<string, unknown> = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: "JWT", kid: key.kid, ...header })
    .sign(await importJWK(key, key.alg));
}

/**
 * Signs claims with an HMAC secret, as the API signs its internal tokens (the mfa_token) with
 * JWT_SECRET, unless told another algorithm, secret or a `kid` to put in the header.
 */
export function signClaims(
  claims: Record<string, unknown>,
  {
    alg = "HS256",
    secret = testEnv.JWT_SECRET as string,
    kid,
  }: { alg?: "HS256" | "HS512"; secret?: string; kid?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) })
    .sign(new TextEncoder().encode(secret));
}

/** A real token with its payload changed and its signature kept. */
export function tamperedToken(token: string, changes: Record<string, unknown>) {
  const [header, payload, signature] = token.split(".");
  return `${header}.${base64UrlJson({ ...decodeSegment(payload ?? ""), ...changes })}.${signature}`;
}
