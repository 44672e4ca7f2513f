import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Config } from "../env";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/**
 * One drizzle client per request. It holds no socket: every query is one HTTPS request to Neon's
 * SQL endpoint, which keeps Postgres connections pooled on its side.
 */
export function createDb(config: Pick<Config, "DATABASE_URL" | "NEON_FETCH_ENDPOINT">) {
  if (config.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = config.NEON_FETCH_ENDPOINT;
  return drizzle({ client: neon(config.DATABASE_URL), schema });
}
