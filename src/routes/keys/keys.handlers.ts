import { clientIp } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import type { AppRouteHandler } from "../../lib/openapi";
import { jwks as publicKeys } from "../../lib/tokens";
import { introspectToken } from "../../services/introspection";
import { enforceRateLimit } from "../../services/rate-limits";
import type * as routes from "./keys.routes";

/** The 10 minutes that rotation waits between publishing a key and signing with it. */
const JWKS_CACHE = { "Cache-Control": "public, max-age=600" };

export const jwks: AppRouteHandler<typeof routes.jwks> = (c) =>
  c.json(publicKeys(c.get("config").JWT_SIGNING_KEYS), 200, JWKS_CACHE);

export const introspect: AppRouteHandler<typeof routes.introspect> = async (c) => {
  const { token } = c.req.valid("json");
  await enforceRateLimit(c.env, "INTROSPECT_LIMITER", { ip: clientIp(c) });
  const claims = await introspectToken(c.get("db"), c.get("config"), token);
  if (!claims) return c.json({ active: false as const }, 200, NO_STORE);
  const { sub, role, sid, exp, iat } = claims;
  return c.json({ active: true as const, sub, role, sid, exp, iat }, 200, NO_STORE);
};
