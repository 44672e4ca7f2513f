import { eq, sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { refreshTokens, type UserRow, users } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/problem";
import { type AccessClaims, unauthorized, verifyAccessToken } from "../lib/tokens";

export type AuthEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { user: UserRow; claims: AccessClaims };
};

/** `Bearer <jwt>`, or the bare token that clients of the original API send. */
function tokenFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match) return match[1];
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(header.trim()) ? header.trim() : undefined;
}

/**
 * Verifies the access token, then reads the user row (and, for a session token, whether the
 * session is still live) in one query, so a deleted, deactivated or revoked user is refused on
 * the very next request.
 */
export const requireAuth = createMiddleware<AuthEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  const token = tokenFrom(header);
  if (!token) {
    throw header
      ? unauthorized("The Authorization header is not a bearer token.")
      : unauthorized("Authentication is required.", "");
  }
  const claims = await verifyAccessToken(token, c.var.config.JWT_SECRET);
  // A session is live while its family exists and none of its tokens is revoked: a successor
  // issued by a refresh that raced the logout is then dead too.
  const sessionLive = claims.sid
    ? sql`coalesce((select bool_and(${refreshTokens.revokedAt} is null) from ${refreshTokens}
        where ${refreshTokens.familyId} = ${claims.sid}), false)`
    : sql`true`;
  const [found] = await c.var.db
    .select({ user: users, sessionLive: sql<boolean>`${sessionLive}` })
    .from(users)
    .where(eq(users.id, claims.sub))
    .limit(1);
  if (!found?.sessionLive || !found.user.active || found.user.tokenVersion !== claims.ver) {
    throw unauthorized("The access token has been revoked.");
  }
  c.set("user", found.user);
  c.set("claims", claims);
  await next();
});

export const requireAdmin = createMiddleware<AuthEnv>(async (c, next) => {
  if (c.var.user.role !== "ADMIN") {
    throw new ApiError(403, "forbidden", "This action needs the ADMIN role.");
  }
  await next();
});
