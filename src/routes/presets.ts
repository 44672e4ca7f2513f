import { requireAdmin, requireAuth } from "../middleware/auth";

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }];

/** Spread into a route that anyone may call: the document says so instead of leaving it open. */
export const open = { security: [] as { [scheme: string]: string[] }[] };

/** Spread into a route that needs an access token: documents the scheme and enforces it. */
export const authed = {
  security,
  middleware: [requireAuth] as [typeof requireAuth],
};

/** Spread into a route for admins only. */
export const adminOnly = {
  security,
  middleware: [requireAuth, requireAdmin] as [typeof requireAuth, typeof requireAdmin],
};
