import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent, problemResponses, SERVER_PROBLEMS } from "../../lib/openapi";

const StatusSchema = z.object({ status: z.literal("ok") }).openapi("HealthStatus");

export const live = createRoute({
  method: "get",
  path: "/health",
  tags: ["Health"],
  summary: "Liveness: the Worker answers (the database is not touched)",
  responses: {
    200: { description: "Alive", content: jsonContent(StatusSchema) },
    ...problemResponses("internal_error", "configuration_error"),
  },
});

export const ready = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Health"],
  summary: "Readiness: the database answers a query",
  responses: {
    200: { description: "Ready", content: jsonContent(StatusSchema) },
    ...problemResponses(SERVER_PROBLEMS),
  },
});
