import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sign, verify } from "hono/jwt";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { roleEnum } from "../db/schema";
import { type Config, ConfigError } from "../env";
import { importedHmacKey } from "./crypto";
import { problems } from "./problems";
import {
  publicJwk,
  type SigningAlgorithm,
  type SigningKey,
  WEB_CRYPTO_ALGORITHMS,
} from "./signing-keys";

// Claims are checked against these schemas after the signature verifies: a token is only as
// trustworthy as its signer's code, and its values go into SQL (the version is a Postgres integer).
const tokenVersion = z.number().int().min(0).max(2_147_483_647);
const timestamp = z.number().int().nonnegative();
const registered = {
  iss: z.string(),
  aud: z.string(),
  iat: timestamp,
  exp: timestamp,
  jti: z.uuid(),
};

const accessClaimsSchema = z.object({
  sub: z.uuid(),
  role: z.enum(roleEnum.enumValues),
  /** The user's token version when issued; a bump on the user row ends every older token. */
  ver: tokenVersion,
  /** Session (refresh token family) the token was issued for: it dies with the session. */
  sid: z.uuid(),
  typ: z.literal("access"),
  ...registered,
});

export type AccessClaims = z.output<typeof accessClaimsSchema>;

const mfaClaimsSchema = z.object({
  sub: z.uuid(),
  /** The user's token version: a password reset or deactivation meanwhile kills the token. */
  ver: tokenVersion,
  typ: z.literal("mfa"),
  // Its jti counts the wrong codes sent with it, in the database.
  ...registered,
});

export type MfaClaims = z.output<typeof mfaClaimsSchema>;

type Issuer = Pick<Config, "JWT_ISSUER" | "JWT_AUDIENCE">;

/**
 * The `iss` and `aud` of mfa_tokens: the server's own, unlike those of access tokens, which the
 * resource servers of a deployment check (JWT_ISSUER, JWT_AUDIENCE).
 */
const INTERNAL_ISSUER: Issuer = {
  JWT_ISSUER: "user-management-api",
  JWT_AUDIENCE: "user-management-api",
};

const claimsBase = (issuer: Issuer, ttl: number) => {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer.JWT_ISSUER,
    aud: issuer.JWT_AUDIENCE,
    iat: now,
    exp: now + ttl,
    jti: uuidv7(),
  };
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const base64UrlJson = (value: unknown) =>
  encodeBase64urlNoPadding(encoder.encode(JSON.stringify(value)));

/** A key of the set, imported: the signer, or one that verifies the tokens of its kid. */
type ImportedKey = { kid: string; alg: SigningAlgorithm; publicKey: CryptoKey };

type KeyRing = {
  signer: ImportedKey & { privateKey: CryptoKey; header: string };
  verifiers: Map<string, ImportedKey>;
  /** Access tokens this isolate has verified with this set: a client sends one for minutes. */
  verified: Map<string, AccessClaims>;
};
const MAX_VERIFIED_TOKENS = 1_000;

/**
 * Imports a key of the set, and proves that its private and public halves belong together by
 * signing and verifying once: a mismatched JWK would sign tokens that nobody can verify.
 */
async function importKey(key: SigningKey) {
  const { kty, crv, x, d } = key;
  const publicJwk = { kty, crv, x, ...(key.alg === "ES256" ? { y: key.y } : {}) };
  const algorithm = WEB_CRYPTO_ALGORITHMS[key.alg];
  try {
    const [privateKey, publicKey] = await Promise.all([
      crypto.subtle.importKey("jwk", { ...publicJwk, d }, algorithm.import, false, ["sign"]),
      crypto.subtle.importKey("jwk", publicJwk, algorithm.import, false, ["verify"]),
    ]);
    const probe = encoder.encode(key.kid);
    const signature = await crypto.subtle.sign(algorithm.sign, privateKey, probe);
    if (!(await crypto.subtle.verify(algorithm.sign, publicKey, signature, probe))) throw 0;
    return { kid: key.kid, alg: key.alg, privateKey, publicKey };
  } catch {
    throw new ConfigError([
      `JWT_SIGNING_KEYS key ${key.kid} is not a valid ${key.alg} private key (npm run keys)`,
    ]);
  }
}

const keyRings = new WeakMap<SigningKey[], Promise<KeyRing>>();

/**
 * The key set, imported once per isolate and configuration: importing is most of the cost of a
 * signature. The set is sorted with its one current key first.
 */
function keyRing(keys: SigningKey[]): Promise<KeyRing> {
  let ring = keyRings.get(keys);
  if (!ring) {
    ring = Promise.all(keys.map(importKey)).then(([signer, ...others]) => {
      if (!signer) throw new ConfigError(["JWT_SIGNING_KEYS has no current key"]);
      const verifiers = new Map<string, ImportedKey>();
      for (const key of [signer, ...others]) verifiers.set(key.kid, key);
      const header = base64UrlJson({ alg: signer.alg, typ: "JWT", kid: signer.kid });
      return { signer: { ...signer, header }, verifiers, verified: new Map() };
    });
    keyRings.set(keys, ring);
  }
  return ring;
}

/** The public keys of every current, next and previous key: GET /.well-known/jwks.json. */
export const jwks = (keys: SigningKey[]) => ({ keys: keys.map(publicJwk) });

export async function signAccessToken(
  user: { id: string; role: AccessClaims["role"]; tokenVersion: number },
  config: Pick<Config, "JWT_SIGNING_KEYS" | "ACCESS_TOKEN_TTL"> & Issuer,
  sessionId: string,
) {
  const claims: AccessClaims = {
    sub: user.id,
    role: user.role,
    ver: user.tokenVersion,
    sid: sessionId,
    typ: "access",
    ...claimsBase(config, config.ACCESS_TOKEN_TTL),
  };
  // hono/jwt signs only with a key it imports again each time when the header carries a kid.
  const { signer } = await keyRing(config.JWT_SIGNING_KEYS);
  const input = `${signer.header}.${base64UrlJson(claims)}`;
  const signature = await crypto.subtle.sign(
    WEB_CRYPTO_ALGORITHMS[signer.alg].sign,
    signer.privateKey,
    encoder.encode(input),
  );
  return {
    token: `${input}.${encodeBase64urlNoPadding(new Uint8Array(signature))}`,
    expiresIn: config.ACCESS_TOKEN_TTL,
  };
}

/** The `kid` a token's header names, or undefined when it names none or is not a JWT. */
function kidOf(token: string): string | undefined {
  try {
    const header = token.slice(0, token.indexOf("."));
    const { kid } = JSON.parse(decoder.decode(decodeBase64urlIgnorePadding(header)));
    return typeof kid === "string" ? kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an access token: its `kid` must be a key of the set and its `alg` that key's own (so
 * HS256, `none` and any other algorithm are refused), then the signature, expiry, issuer and
 * audience, then its claims against their schema. Any failure is the same 401.
 *
 * A token already verified with this key set is not decoded and verified again (that was a tenth
 * of an authenticated read's CPU): its claims come from a bounded cache, checked for expiry on
 * every use. Only the exact same bytes hit, so nothing is accepted that would not verify; and
 * whether the session is still live is asked of the database on every request all the same.
 * Another key set (a rotation, a dropped key) has a cache of its own.
 */
export async function verifyAccessToken(
  token: string,
  config: Pick<Config, "JWT_SIGNING_KEYS"> & Issuer,
): Promise<AccessClaims> {
  const ring = await keyRing(config.JWT_SIGNING_KEYS);
  const cached = ring.verified.get(token);
  if (cached) {
    if (cached.exp > Date.now() / 1000) return cached;
    ring.verified.delete(token);
  }
  const kid = kidOf(token);
  const key = kid === undefined ? undefined : ring.verifiers.get(kid);
  if (!key) throw problems.invalidToken();
  const claims = accessClaimsSchema.safeParse(
    await verifiedPayload(token, key.publicKey, key.alg, config),
  );
  if (!claims.success) throw problems.invalidToken();
  if (ring.verified.size >= MAX_VERIFIED_TOKENS) {
    ring.verified.delete(ring.verified.keys().next().value as string);
  }
  ring.verified.set(token, claims.data);
  return claims.data;
}

/**
 * The payload of a token signed with `key` under `alg` (expiry, issuer and audience checked), or
 * undefined for any other token: each caller answers with its own problem.
 */
async function verifiedPayload(
  token: string,
  key: CryptoKey | string,
  alg: SigningAlgorithm | "HS256",
  config: Issuer,
): Promise<unknown> {
  try {
    return await verify(token, key, { alg, iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE });
  } catch {
    return undefined;
  }
}

/** Seconds an mfa_token lives: the time to open the authenticator app and type a code. */
export const MFA_TOKEN_TTL = 300;

/** mfa_tokens are HS256 under JWT_SECRET: one key, imported once, signs and verifies them. */
const HS256_USAGES: ("sign" | "verify")[] = ["sign", "verify"];

/**
 * The proof that the password was right, which POST /auth/mfa/verify trades with a second
 * factor for a session. It is HS256 under the server's own JWT_SECRET, with no kid and its own
 * `typ`, so it can never pass as an access token (nor an access token as it).
 */
export async function signMfaToken(
  user: { id: string; tokenVersion: number },
  config: Pick<Config, "JWT_SECRET">,
) {
  const claims: MfaClaims = {
    sub: user.id,
    ver: user.tokenVersion,
    typ: "mfa",
    ...claimsBase(INTERNAL_ISSUER, MFA_TOKEN_TTL),
  };
  return {
    token: await sign(claims, await importedHmacKey(config.JWT_SECRET, HS256_USAGES), "HS256"),
    expiresIn: MFA_TOKEN_TTL,
  };
}

/** Verifies an mfa_token: HS256 under JWT_SECRET, expiry, issuer, audience, claims' schema. */
export async function verifyMfaToken(token: string, secret: string): Promise<MfaClaims> {
  const payload = await verifiedPayload(
    token,
    await importedHmacKey(secret, HS256_USAGES),
    "HS256",
    INTERNAL_ISSUER,
  );
  const claims = mfaClaimsSchema.safeParse(payload);
  if (!claims.success) throw problems.invalidMfaToken();
  return claims.data;
}
