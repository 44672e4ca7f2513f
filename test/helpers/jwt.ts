// Reading and forging JWTs, to check the API's access tokens from the outside.
import { sign } from "hono/jwt";
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

/** Signs claims as the API would (HS256 with its secret) unless told another algorithm or key. */
export function signClaims(
  claims: Record<string, unknown>,
  {
    alg = "HS256",
    secret = testEnv.JWT_SECRET as string,
  }: { alg?: "HS256" | "HS512"; secret?: string } = {},
) {
  return sign(claims, secret, alg);
}

/** A real token with its payload changed and its signature kept. */
export function tamperedToken(token: string, changes: Record<string, unknown>) {
  const [header, payload, signature] = token.split(".");
  return `${header}.${base64UrlJson({ ...decodeSegment(payload ?? ""), ...changes })}.${signature}`;
}
