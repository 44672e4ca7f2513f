import { requireAdmin, requireAdminToken, requireAuth, requireToken } from "../middleware/auth";

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }];

/** Spread into a route that anyone may call: the document says so instead of leaving it open. */
export const open = { security: [] as { [scheme: string]: string[] }[] };

/**
 * Spread into a route that needs an access token and the caller's row: documents the scheme and
 * enforces it, with one query before the handler.
 */
export const authed = {
  security,
  middleware: [requireAuth] as [typeof requireAuth],
};

/** Spread into a route for admins only that needs the caller's row. */
export const adminOnly = {
  security,
  middleware: [requireAuth, requireAdmin] as [typeof requireAuth, typeof requireAdmin],
};

/**
 * Spread into a route whose service checks the caller in its own statement (callerIsLive): the
 * token is verified here, without a query, so the whole request is one round trip.
 */
export const bearer = {
  security,
  middleware: [requireToken] as [typeof requireToken],
};

/** The admins-only form of `bearer`. */
export const adminBearer = {
  security,
  middleware: [requireToken, requireAdminToken] as [typeof requireToken, typeof requireAdminToken],
};
