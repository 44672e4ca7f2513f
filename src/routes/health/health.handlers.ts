import type { RouteHandler } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../../env";
import { ApiError } from "../../lib/problem";
import type { live, ready } from "./health.routes";

export const liveHandler: RouteHandler<typeof live, AppEnv> = (c) =>
  c.json({ status: "ok" as const }, 200);

export const readyHandler: RouteHandler<typeof ready, AppEnv> = async (c) => {
  try {
    await c.var.db.execute(sql`select 1`);
  } catch {
    throw new ApiError(503, "database_unavailable", "The database does not answer.", {
      headers: { "Retry-After": "5" },
    });
  }
  return c.json({ status: "ok" as const }, 200);
};
