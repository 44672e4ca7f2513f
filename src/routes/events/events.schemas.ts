import { z } from "@hono/zod-openapi";
import { pageQuery } from "../../schemas/pagination";
import { EVENT_TYPES } from "../../services/events";

export const SecurityEventSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(EVENT_TYPES).openapi({ example: "login.succeeded" }),
    at: z.iso.datetime().openapi({ example: "2026-11-27T10:22:13.175Z" }),
    actor_id: z.uuid().nullable().openapi({
      description: "Who acted: the user themself, an admin, or null when unknown (a failed login)",
    }),
    ip: z
      .string()
      .nullable()
      .openapi({ description: "IPv4 /24 or IPv6 /48", example: "203.0.113.0/24" }),
    user_agent: z.string().nullable(),
    detail: z
      .record(z.string(), z.unknown())
      .openapi({ description: "Never a secret: no token, hash or password", example: {} }),
  })
  .openapi("SecurityEvent");

const typeQuery = z
  .enum(EVENT_TYPES)
  .optional()
  .openapi({ param: { name: "type", in: "query" }, description: "Only events of this type" });

export const UserEventsQuerySchema = z.object({ ...pageQuery, type: typeQuery });

export const EventsQuerySchema = z.object({
  ...pageQuery,
  type: typeQuery,
  user_id: z
    .uuid("must be a UUID")
    .toLowerCase()
    .optional()
    .openapi({
      param: { name: "user_id", in: "query" },
      description: "Only events of this user (deleted users included)",
    }),
});
