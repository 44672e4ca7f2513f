import { createMiddleware } from "hono/factory";
import type { UserRow } from "../db/schema";
import type { AppEnv } from "../env";
import { problems } from "../lib/problems";
import { type AccessClaims, verifyAccessToken } from "../lib/tokens";
import { authenticate } from "../services/sessions";

/** The environment of an authenticated route: the caller's row and token claims in context. */
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
 * Requires a valid access token whose user and session are still live (one query), and puts the
 * caller's row and claims in context.
 */
export const requireAuth = createMiddleware<AuthEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  const token = tokenFrom(header);
  if (!token) {
    if (!header) throw problems.unauthenticated();
    throw problems.invalidToken(
      /^Bearer\s+Bearer\s/i.test(header)
        ? "The Authorization header says Bearer twice: send `Bearer <token>` (in Swagger UI's Authorize, paste the token without Bearer)."
        : "The Authorization header is not a bearer token.",
    );
  }
  const claims = await verifyAccessToken(token, c.var.config.JWT_SECRET);
  c.set("user", await authenticate(c.var.db, claims));
  c.set("claims", claims);
  await next();
});

/** Requires the ADMIN role; runs after requireAuth. */
export const requireAdmin = createMiddleware<AuthEnv>(async (c, next) => {
  if (c.var.user.role !== "ADMIN") throw problems.adminOnly();
  await next();
});
