import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Config } from "../env";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/**
 * The driver's fetch, with a deadline: each client passes its `timeoutMs` through `fetchOptions`.
 * A query that has not answered in time (headers and body) is abandoned, and fails like an
 * unreachable database: 503 with Retry-After (db/errors.ts), never a request that hangs.
 */
neonConfig.fetchFunction = (
  input: RequestInfo,
  init: RequestInit & { timeoutMs?: number } = {},
) => {
  const { timeoutMs, ...rest } = init;
  return fetch(input, timeoutMs ? { ...rest, signal: AbortSignal.timeout(timeoutMs) } : rest);
};

/**
 * One drizzle client per request. It holds no socket: every query is one HTTPS request to Neon's
 * SQL endpoint, which keeps Postgres connections pooled on its side.
 */
export function createDb(
  config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT" | "DATABASE_TIMEOUT">,
) {
  if (config.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = config.NEON_FETCH_ENDPOINT;
  const client = neon(config.DATABASE_URL, {
    fetchOptions: { timeoutMs: config.DATABASE_TIMEOUT * 1000 },
  });
  return drizzle({ client, schema });
}
