import type { MiddlewareHandler } from "hono";
import { createDb, type Db } from "../db/client";
import { type AppEnv, type Config, loadConfig } from "../env";

// The database client depends only on the configuration, which is parsed once per env object:
// built once for each, not on every request (drizzle's set-up was a large part of /health's CPU).
const databases = new WeakMap<Config, Db>();

/** Puts the validated configuration and the database client in context. */
export const provideContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = loadConfig(c.env);
  let db = databases.get(config);
  if (!db) {
    db = createDb(config);
    databases.set(config, db);
  }
  c.set("config", config);
  c.set("db", db);
  await next();
};
