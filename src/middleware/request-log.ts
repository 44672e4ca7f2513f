import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../env";
import { noteMetricsOff, writeMetric } from "../lib/metrics";
import { cachedPseudonym, pseudonym } from "../lib/pseudonym";
import { newStats, type RequestStats, type TracedContext, withStats } from "../lib/request-context";

/** The label of a request no route serves (a 404 or 405): never its raw path. */
export const UNMATCHED = "unmatched";

const patterns = new Map<string, string>();

/** `/users/:id` as `/users/{id}` (the document's form), built once per route. */
function documentPattern(path: string): string {
  let pattern = patterns.get(path);
  if (pattern === undefined) {
    pattern = path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
    patterns.set(path, pattern);
  }
  return pattern;
}

/**
 * The pattern of the route that answered, or would have: the route at hono's current index when
 * it is a route (its handler or its own middleware answered), else the first route the path and
 * method matched (a global middleware answered first: a 413, a configuration error), else
 * `unmatched`. Global middleware is registered for every method ("ALL"); routes are not.
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const current = routes[c.req.routeIndex];
  const route =
    current && current.method !== "ALL" ? current : routes.find(({ method }) => method !== "ALL");
  return route ? documentPattern(route.path) : UNMATCHED;
}

type RequestLine = {
  level: "info" | "warn" | "error";
  event: "request";
  request_id: string | undefined;
  method: string;
  route: string;
  status: number;
  code: string | undefined;
  duration_ms: number;
  db_trips: number;
  db_ms: number;
  colo: string | undefined;
  country: string | undefined;
  user: string | undefined;
};

/** The dev server's form of a request line: `200 GET /users/{id} 12ms db=2/5ms`. */
export function readableLine(line: RequestLine): string {
  return [
    line.status,
    line.method,
    line.route,
    `${line.duration_ms}ms`,
    `db=${line.db_trips}/${line.db_ms}ms`,
    ...(line.code ? [line.code] : []),
    ...(line.user ? [`user=${line.user}`] : []),
    `req=${line.request_id}`,
  ].join(" ");
}

/**
 * Where the request came in, from the headers Cloudflare sets on every request it hands a Worker:
 * the colo is the Ray ID's suffix (`CF-Ray: 8f2a1b3c4d5e6f70-AMS`), the country `CF-IPCountry`
 * (the zone's IP Geolocation setting, on by default). Not `request.cf`, which holds the same two:
 * its first read parses and freezes the whole `cf` object, 6,900 instructions of a read, more
 * than the line's JSON (BENCHMARKS.md, "Counted again, and three more cuts"). Anything but the
 * expected shape (a request that did not come through Cloudflare, `wrangler dev`) is left out.
 */
const COLO = /-([A-Z]{3})$/;
const COUNTRY = /^[A-Z][A-Z0-9]$/;
const coloOf = (ray: string | undefined) => (ray ? COLO.exec(ray)?.[1] : undefined);
const countryOf = (country: string | undefined) =>
  country && COUNTRY.test(country) ? country : undefined;

const round = (ms: number) => Math.round(ms * 10) / 10;

/** None where hono has no ExecutionContext (a request in Node: its getter throws). */
function executionContextOf(c: Context): TracedContext | undefined {
  try {
    return c.executionCtx as TracedContext;
  } catch {
    return undefined;
  }
}

/**
 * One structured line per request, written when the answer is ready: which route (its pattern,
 * never the raw path, which holds ids, and never the query, which may hold tokens and emails),
 * status, the problem code, duration, database round trips and their time, where it came in, and
 * a keyed hash of the user. Also the request's data point for the metrics (lib/metrics.ts). Must
 * run early (after the request id), so everything after it, the database work included, is
 * counted on this request's own stats.
 */
export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Nothing to observe (LOG_FORMAT=off and no METRICS binding): no bookkeeping at all. Read from
  // the bindings as they are: the validated configuration is put in context further down.
  if (c.env.LOG_FORMAT === "off" && !c.env.METRICS) {
    noteMetricsOff();
    return next();
  }
  const started = performance.now();
  const stats: RequestStats = newStats();
  stats.colo = coloOf(c.req.header("CF-Ray"));
  stats.country = countryOf(c.req.header("CF-IPCountry"));
  stats.metrics = c.env.METRICS;
  // The stats hold the ExecutionContext, never hono's Context: the async context keeps the stats
  // alive as long as anything the request started, and a Context held with them kept the whole
  // request (its body, headers, variables) for the garbage collector to copy, 1.3 % of a read's
  // instructions (BENCHMARKS.md, "Counted in instructions"). The first span lets it go too.
  stats.traceSource = executionContextOf(c);
  await withStats(stats, next);
  const status = c.res.status;
  const line: RequestLine = {
    level: status >= 500 ? "error" : "info",
    event: "request",
    request_id: c.get("requestId"),
    method: c.req.method,
    route: routeOf(c),
    status,
    code: c.get("problemCode"),
    duration_ms: round(performance.now() - started),
    db_trips: stats.dbTrips,
    db_ms: round(stats.dbMs),
    colo: stats.colo,
    country: stats.country,
    user: undefined,
  };
  writeMetric(
    "request",
    {
      route: line.route,
      code: line.code,
      status,
      durationMs: line.duration_ms,
      dbTrips: line.db_trips,
      dbMs: line.db_ms,
    },
    stats,
  );
  // A configuration error leaves no config: its line is still written, as JSON, without a user.
  const config = c.get("config") as AppEnv["Variables"]["config"] | undefined;
  const format = config?.LOG_FORMAT ?? "json";
  if (format === "off") return;
  if (stats.userId && config) {
    line.user =
      cachedPseudonym(config.JWT_SECRET, "user", stats.userId) ??
      (await pseudonym(config.JWT_SECRET, "user", stats.userId));
  }
  console.log(format === "pretty" ? readableLine(line) : JSON.stringify(line));
};
