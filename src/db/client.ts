import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Config } from "../env";
import { currentStats } from "../lib/request-context";
import { inSpan } from "../lib/tracing";

export type Db = ReturnType<typeof createDb>;

/** What each client passes to the driver's fetch through `fetchOptions`. */
type ClientFetchOptions = {
  /** A deadline per query, in milliseconds. */
  timeoutMs?: number;
  /** The local SQL endpoint, when NEON_FETCH_ENDPOINT names one. */
  endpoint?: string;
};

/**
 * The driver's fetch, with a deadline: a query that has not answered in time (headers and body)
 * is abandoned, and fails like an unreachable database: 503 with Retry-After (db/errors.ts),
 * never a request that hangs. The endpoint comes per client too: the driver's own setting is
 * global, and clients of different configurations live side by side (tests, for one).
 *
 * Each call is one database round trip: it is counted, with its time until the answer's
 * headers, on the request it works for (lib/request-context.ts), and is a `db.query` span in a
 * trace around the runtime's own fetch span (lib/tracing.ts).
 */
neonConfig.fetchFunction = (input: RequestInfo, init: RequestInit & ClientFetchOptions = {}) => {
  const { timeoutMs, endpoint, ...rest } = init;
  const stats = currentStats();
  return inSpan("db.query", async (span) => {
    const started = performance.now();
    let status = 0;
    try {
      const response = await fetch(
        endpoint ?? input,
        timeoutMs ? { ...rest, signal: AbortSignal.timeout(timeoutMs) } : rest,
      );
      status = response.status;
      return response;
    } finally {
      const ms = performance.now() - started;
      if (stats) {
        stats.dbTrips++;
        stats.dbMs += ms;
      }
      span?.setAttributes({
        "db.system.name": "postgresql",
        "db.round_trip": stats?.dbTrips ?? 1,
        "http.response.status_code": status,
      });
    }
  });
};

/**
 * A drizzle client. It holds no socket, so one serves every request of a configuration
 * (middleware/context.ts): each query is one HTTPS request to Neon's SQL endpoint, which keeps
 * Postgres connections pooled on its side. Without a schema: the API uses no relational queries,
 * and drizzle would otherwise walk every table's config for them.
 */
export function createDb(
  config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DATABASE_TIMEOUT">,
) {
  const fetchOptions: ClientFetchOptions = {
    timeoutMs: config.DATABASE_TIMEOUT * 1000,
    endpoint: config.NEON_FETCH_ENDPOINT,
  };
  const client = neon(config.DATABASE_URL, { fetchOptions });
  return drizzle({ client });
}
