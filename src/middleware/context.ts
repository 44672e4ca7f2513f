import type { MiddlewareHandler } from "hono";
import { createDb } from "../db/client";
import { type AppEnv, loadConfig } from "../env";

/** Puts the validated configuration and a per-request database client in context. */
export const provideContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = loadConfig(c.env);
  c.set("config", config);
  c.set("db", createDb(config));
  await next();
};
