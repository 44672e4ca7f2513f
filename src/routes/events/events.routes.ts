import { createRoute, z } from "@hono/zod-openapi";
import { AUTH_PROBLEMS, jsonContent, problemResponses, SERVER_PROBLEMS } from "../../lib/openapi";
import { pageHeaders } from "../../schemas/pagination";
import { UserIdParamSchema } from "../../schemas/user";
import { adminBearer, bearer } from "../presets";
import { EventsQuerySchema, SecurityEventSchema, UserEventsQuerySchema } from "./events.schemas";

const page = {
  description: "A page of events, newest first",
  headers: pageHeaders,
  content: jsonContent(z.array(SecurityEventSchema)),
};

export const listUserEvents = createRoute({
  method: "get",
  path: "/users/{id}/events",
  operationId: "listUserEvents",
  tags: ["Security events"],
  summary: "A user's security events (self or admin)",
  description:
    "Append-only, recorded in the same statement as the change itself. Paged like GET /users (cursor or page, the bounded total and the links); `type` filters. A non-admin asking for anyone else's gets 403.",
  ...bearer,
  request: { params: UserIdParamSchema, query: UserEventsQuerySchema },
  responses: {
    200: page,
    ...problemResponses(AUTH_PROBLEMS, "forbidden", "validation_failed", SERVER_PROBLEMS),
  },
});

export const listEvents = createRoute({
  method: "get",
  path: "/events",
  operationId: "listEvents",
  tags: ["Security events"],
  summary: "All security events (admin)",
  description:
    "Events of every user, deleted users included (`user_id` filters), kept EVENTS_RETENTION_DAYS. Paged like GET /users; a cursor of GET /users/{id}/events is one of `user_id` here too.",
  ...adminBearer,
  request: { query: EventsQuerySchema },
  responses: {
    200: page,
    ...problemResponses(AUTH_PROBLEMS, "forbidden", "validation_failed", SERVER_PROBLEMS),
  },
});
