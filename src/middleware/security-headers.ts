import type { MiddlewareHandler } from "hono";

/**
 * The security headers of every response, fixed at start-up and set in one pass after the handler
 * (what hono's secureHeaders sets by default, plus a CSP for the API's JSON). hono's middleware
 * rebuilt this list on every request, a measurable part of a cheap request's CPU
 * (BENCHMARKS.md). Swagger UI's page (src/pages) sends a CSP of its own, which is kept; the
 * static pages get the same headers from public/_headers.
 */
const SECURITY_HEADERS: [string, string][] = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const headers = c.res.headers;
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", API_CSP);
};
