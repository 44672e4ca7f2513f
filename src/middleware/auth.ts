import { createMiddleware } from "hono/factory";
import type { UserRow } from "../db/schema";
import type { AppEnv, Config } from "../env";
import { problems } from "../lib/problems";
import { noteUser } from "../lib/request-context";
import { type AccessClaims, verifyAccessToken } from "../lib/tokens";
import { authenticate } from "../services/caller";

/**
 * The environment of a route whose statements authenticate the caller themselves
 * (services/caller.ts, callerIsLive): the verified token's claims in context, no row yet.
 */
export type TokenEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { claims: AccessClaims };
};

/** The environment of an authenticated route: the caller's row and token claims in context. */
export type AuthEnv = TokenEnv & {
  Variables: TokenEnv["Variables"] & { user: UserRow };
};

/** `Bearer <jwt>`, or the bare token that clients of the original API send. */
function tokenFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match) return match[1];
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(header.trim()) ? header.trim() : undefined;
}

async function verifiedClaims(header: string | undefined, config: Config) {
  const claims = await verifiedToken(header, config);
  noteUser(claims.sub);
  return claims;
}

async function verifiedToken(header: string | undefined, config: Config) {
  const token = tokenFrom(header);
  if (!token) {
    if (!header) throw problems.unauthenticated();
    throw problems.invalidToken(
      /^Bearer\s+Bearer\s/i.test(header)
        ? "The Authorization header says Bearer twice: send `Bearer <token>` (in Swagger UI's Authorize, paste the token without Bearer)."
        : "The Authorization header is not a bearer token.",
    );
  }
  return verifyAccessToken(token, config);
}

/**
 * Requires a valid access token, without a query: the route's own statement must check that
 * the caller is still live (callerIsLive), which its service does. Puts the claims in context.
 */
export const requireToken = createMiddleware<TokenEnv>(async (c, next) => {
  c.set("claims", await verifiedClaims(c.req.header("Authorization"), c.get("config")));
  await next();
});

/**
 * The ADMIN role, from the token (its version, checked by the route's statement, pins the role).
 * A caller without it is told 403, once a query has shown their token is live (else 401).
 */
export const requireAdminToken = createMiddleware<TokenEnv>(async (c, next) => {
  if (c.get("claims").role !== "ADMIN") {
    await authenticate(c.get("db"), c.get("claims"));
    throw problems.adminOnly();
  }
  await next();
});

/**
 * Requires a valid access token whose user and session are still live (one query), and puts the
 * caller's row and claims in context.
 */
export const requireAuth = createMiddleware<AuthEnv>(async (c, next) => {
  const claims = await verifiedClaims(c.req.header("Authorization"), c.get("config"));
  c.set("user", await authenticate(c.get("db"), claims));
  c.set("claims", claims);
  await next();
});

/** Requires the ADMIN role; runs after requireAuth. */
export const requireAdmin = createMiddleware<AuthEnv>(async (c, next) => {
  if (c.get("user").role !== "ADMIN") throw problems.adminOnly();
  await next();
});
