import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv, Config } from "../env";

const EXPOSED_HEADERS = [
  "X-Request-Id",
  "X-Total-Count",
  "X-Total-Count-Estimate",
  "Link",
  "Location",
  "ETag",
  "Retry-After",
];

// hono's cors middleware depends only on the configuration: built once for each.
const preflightByConfig = new WeakMap<Config, MiddlewareHandler>();

function preflightFor(config: Config): MiddlewareHandler {
  let middleware = preflightByConfig.get(config);
  if (!middleware) {
    const origins = config.corsOrigins;
    middleware = honoCors({
      origin: origins === "*" ? "*" : (origin) => (origins.includes(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", "If-Match", "X-Request-Id"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
    preflightByConfig.set(config, middleware);
  }
  return middleware;
}

const exposed = EXPOSED_HEADERS.join(",");

/**
 * CORS for the browsers of CORS_ORIGINS. A preflight (OPTIONS) is hono's cors middleware; every
 * other answer gets its two headers after the handler, in the same pass as the security headers.
 * (hono's middleware sets them before the handler on a placeholder response, which hono then
 * copies into the real one: a second Response per request, a tenth of /health's CPU.)
 */
export const corsHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = c.get("config");
  if (c.req.method === "OPTIONS") return preflightFor(config)(c, next);
  await next();
  const headers = c.res.headers;
  const origins = config.corsOrigins;
  if (origins === "*") {
    headers.set("Access-Control-Allow-Origin", "*");
  } else {
    // The answer depends on the Origin header: a shared cache must keep one per origin.
    headers.append("Vary", "Origin");
    const origin = c.req.header("Origin");
    if (!origin || !origins.includes(origin)) return;
    headers.set("Access-Control-Allow-Origin", origin);
  }
  headers.set("Access-Control-Expose-Headers", exposed);
};
