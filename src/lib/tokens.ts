import { sign, verify } from "hono/jwt";
import { v7 as uuidv7, validate } from "uuid";
import { type Role, roleEnum } from "../db/schema";
import type { Config } from "../env";
import { problems } from "./problems";

const isUuid = (value: unknown): value is string => typeof value === "string" && validate(value);

const TOKEN_ISSUER = "user-management-api";

const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The HS256 key of a secret, imported once: hono/jwt would otherwise import it from the string
 * on every sign and verify, which was a tenth of an authenticated request's CPU.
 */
function jwtKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}
const TOKEN_AUDIENCE = "user-management-api";

export type AccessClaims = {
  sub: string;
  role: Role;
  /** The user's token version when issued; a bump on the user row ends every older token. */
  ver: number;
  /** Session (refresh token family) the token was issued for: it dies with the session. */
  sid: string;
  typ: "access";
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
};

export async function signAccessToken(
  user: { id: string; role: Role; tokenVersion: number },
  config: Pick<Config, "JWT_SECRET" | "ACCESS_TOKEN_TTL">,
  sessionId: string,
) {
  const now = Math.floor(Date.now() / 1000);
  const claims: AccessClaims = {
    sub: user.id,
    role: user.role,
    ver: user.tokenVersion,
    sid: sessionId,
    typ: "access",
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    iat: now,
    exp: now + config.ACCESS_TOKEN_TTL,
    jti: uuidv7(),
  };
  return {
    token: await sign(claims, await jwtKey(config.JWT_SECRET), "HS256"),
    expiresIn: config.ACCESS_TOKEN_TTL,
  };
}

/** Access tokens this isolate has verified, per secret: a client sends the same one for minutes. */
const verifiedTokens = new Map<string, Map<string, AccessClaims>>();
const MAX_VERIFIED_TOKENS = 1_000;

/**
 * Verifies signature (HS256 only), expiry, issuer and audience, and that the claims this API
 * relies on are present and well typed. Any failure is the same 401.
 *
 * A token already verified with this secret is not decoded and verified again (that was a tenth
 * of an authenticated read's CPU): its claims come from a bounded cache, checked for expiry on
 * every use. Only the exact same bytes hit, so nothing is accepted that would not verify; and
 * whether the session is still live is asked of the database on every request all the same.
 */
export async function verifyAccessToken(token: string, secret: string): Promise<AccessClaims> {
  let cache = verifiedTokens.get(secret);
  if (!cache) {
    cache = new Map();
    verifiedTokens.set(secret, cache);
  }
  const cached = cache.get(token);
  if (cached) {
    if (cached.exp > Date.now() / 1000) return cached;
    cache.delete(token);
  }
  const claims = await verifiedClaims(token, secret);
  if (cache.size >= MAX_VERIFIED_TOKENS) cache.delete(cache.keys().next().value as string);
  cache.set(token, claims);
  return claims;
}

/**
 * The payload of a token this API signed (HS256 only; expiry, issuer and audience checked), or
 * undefined for any other token: each caller answers with its own problem.
 */
async function verifiedPayload(token: string, secret: string) {
  try {
    return await verify(token, await jwtKey(secret), {
      alg: "HS256",
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
    });
  } catch {
    return undefined;
  }
}

async function verifiedClaims(token: string, secret: string): Promise<AccessClaims> {
  const payload = await verifiedPayload(token, secret);
  if (!payload) throw problems.invalidToken();
  const claims = payload as Partial<AccessClaims>;
  if (
    !isUuid(claims.sub) ||
    !isUuid(claims.sid) ||
    typeof claims.exp !== "number" ||
    typeof claims.iat !== "number" ||
    typeof claims.ver !== "number" ||
    typeof claims.jti !== "string" ||
    claims.typ !== "access" ||
    !roleEnum.enumValues.includes(claims.role as Role)
  ) {
    throw problems.invalidToken();
  }
  return claims as AccessClaims;
}

/** Seconds an mfa_token lives: the time to open the authenticator app and type a code. */
export const MFA_TOKEN_TTL = 300;

export type MfaClaims = {
  sub: string;
  /** The user's token version: a password reset or deactivation meanwhile kills the token. */
  ver: number;
  typ: "mfa";
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  /** Wrong codes are counted per jti, in the database. */
  jti: string;
};

/**
 * The proof that the password was right, which POST /auth/mfa/verify trades with a second
 * factor for a session. Its `typ` keeps it from ever passing as an access token, and back.
 */
export async function signMfaToken(
  user: { id: string; tokenVersion: number },
  config: Pick<Config, "JWT_SECRET">,
) {
  const now = Math.floor(Date.now() / 1000);
  const claims: MfaClaims = {
    sub: user.id,
    ver: user.tokenVersion,
    typ: "mfa",
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    iat: now,
    exp: now + MFA_TOKEN_TTL,
    jti: uuidv7(),
  };
  return {
    token: await sign(claims, await jwtKey(config.JWT_SECRET), "HS256"),
    expiresIn: MFA_TOKEN_TTL,
  };
}

/** Verifies an mfa_token like an access token (HS256 only, expiry, issuer, audience, claims). */
export async function verifyMfaToken(token: string, secret: string): Promise<MfaClaims> {
  const payload = await verifiedPayload(token, secret);
  if (!payload) throw problems.invalidMfaToken();
  const claims = payload as Partial<MfaClaims>;
  if (
    !isUuid(claims.sub) ||
    !isUuid(claims.jti) ||
    typeof claims.exp !== "number" ||
    typeof claims.ver !== "number" ||
    claims.typ !== "mfa"
  ) {
    throw problems.invalidMfaToken();
  }
  return claims as MfaClaims;
}
