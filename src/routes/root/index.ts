import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, jsonContent } from "../../lib/openapi";
import { open } from "../presets";

const LinksSchema = z
  .object({
    name: z.literal("User Management API"),
    docs: z.literal("/apidocs").openapi({ description: "Swagger UI" }),
    openapi: z.literal("/openapi.json").openapi({ description: "This OpenAPI document" }),
    health: z.literal("/health"),
  })
  .openapi("Links");

const root = createRoute({
  method: "get",
  path: "/",
  operationId: "root",
  tags: ["Health"],
  ...open,
  summary: "Where to start: links to the documentation",
  description: "Someone who opens the API's address in a browser finds the way to the docs.",
  responses: { 200: { description: "Links", content: jsonContent(LinksSchema) } },
});

export const rootRouter = createRouter().openapi(root, (c) =>
  c.json(
    {
      name: "User Management API" as const,
      docs: "/apidocs" as const,
      openapi: "/openapi.json" as const,
      health: "/health" as const,
    },
    200,
  ),
);
