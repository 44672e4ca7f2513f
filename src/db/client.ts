import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Config } from "../env";

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
 */
neonConfig.fetchFunction = (input: RequestInfo, init: RequestInit & ClientFetchOptions = {}) => {
  const { timeoutMs, endpoint, ...rest } = init;
  return fetch(
    endpoint ?? input,
    timeoutMs ? { ...rest, signal: AbortSignal.timeout(timeoutMs) } : rest,
  );
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
