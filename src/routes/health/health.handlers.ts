import type { AppRouteHandler } from "../../lib/openapi";
import { problems } from "../../lib/problems";
import { pingDatabase } from "../../services/health";
import type * as routes from "./health.routes";

export const live: AppRouteHandler<typeof routes.live> = (c) => {
  const runId = c.get("config").DEV_RUN_ID;
  return c.json({ status: "ok" as const }, 200, runId ? { "X-Dev-Run": runId } : undefined);
};

export const ready: AppRouteHandler<typeof routes.ready> = async (c) => {
  if (!(await pingDatabase(c.get("db")))) throw problems.databaseUnavailable();
  return c.json({ status: "ok" as const }, 200);
};
