import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent, problemResponses, SERVER_PROBLEMS } from "../../lib/openapi";
import { open } from "../presets";

const StatusSchema = z.object({ status: z.literal("ok") }).openapi("HealthStatus");

export const live = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["Health"],
  ...open,
  summary: "Liveness: the Worker answers",
  description: "Answers without touching the database, for load balancers and uptime checks.",
  responses: {
    200: { description: "Alive", content: jsonContent(StatusSchema) },
    ...problemResponses("internal_error", "configuration_error"),
  },
});

export const ready = createRoute({
  method: "get",
  path: "/health/ready",
  operationId: "ready",
  tags: ["Health"],
  ...open,
  summary: "Readiness: the database answers a query",
  description: "200 when one query round trip to the database succeeds, else a 503 problem.",
  responses: {
    200: { description: "Ready", content: jsonContent(StatusSchema) },
    ...problemResponses(SERVER_PROBLEMS),
  },
});
